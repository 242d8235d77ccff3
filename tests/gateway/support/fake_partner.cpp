#include "support/fake_partner.hpp"

#include <openssl/ssl.h>

#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange without it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <stdexcept>
#include <unordered_set>

namespace carebridge::testing {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

struct FakePartner::Server {
    Server(FakePartner& owner, const TestPki& pki, bool require_client_certificate)
        : owner(owner), tls(ssl::context::tls_server), acceptor(io) {
        tls.use_certificate_chain_file(pki.server_cert());
        tls.use_private_key_file(pki.server_key(), ssl::context::pem);
        if (require_client_certificate) {
            tls.load_verify_file(pki.ca_cert());
            tls.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
        }
        const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
        acceptor.open(endpoint.protocol());
        acceptor.set_option(net::socket_base::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen();
        net::co_spawn(io, accept_loop(), net::detached);
        thread = std::thread([this] { io.run(); });
    }

    ~Server() {
        io.stop();
        if (thread.joinable()) thread.join();
    }

    net::awaitable<void> accept_loop() {
        for (;;) {
            tcp::socket socket = co_await acceptor.async_accept(net::use_awaitable);
            net::co_spawn(io, serve(std::move(socket)), net::detached);
        }
    }

    net::awaitable<void> serve(tcp::socket socket) {
        try {
            beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls);
            co_await stream.async_handshake(ssl::stream_base::server, net::use_awaitable);
            std::string subject;
            if (X509* peer = SSL_get1_peer_certificate(stream.native_handle())) {
                subject = rfc2253_subject(peer);
                X509_free(peer);
            }
            beast::flat_buffer buffer;
            for (;;) {
                http::request<http::string_body> request;
                co_await http::async_read(stream, buffer, request, net::use_awaitable);
                ReceivedPush push;
                push.target = std::string(request.target());
                push.idempotency_key = std::string(request["Idempotency-Key"]);
                push.referral_id = std::string(request["Carebridge-Referral-Id"]);
                push.content_type = std::string(request[http::field::content_type]);
                push.authorization = std::string(request[http::field::authorization]);
                push.body = std::move(request.body());
                push.client_subject = subject;
                const PartnerBehaviour behaviour = owner.record(std::move(push));
                if (behaviour == PartnerBehaviour::drop) {
                    beast::get_lowest_layer(stream).socket().close();
                    co_return;
                }
                if (behaviour == PartnerBehaviour::never_answer || behaviour == PartnerBehaviour::accept_then_hang) {
                    net::steady_timer forever(io);
                    forever.expires_at(net::steady_timer::time_point::max());
                    co_await forever.async_wait(net::use_awaitable);  // ends with the server
                    co_return;
                }
                http::response<http::string_body> response;
                response.version(11);
                response.result(behaviour == PartnerBehaviour::accept   ? http::status::ok
                                : behaviour == PartnerBehaviour::refuse ? http::status::bad_request
                                                                        : http::status::internal_server_error);
                response.set(http::field::content_type, "application/json");
                response.body() = behaviour == PartnerBehaviour::accept ? R"({"received":true})" : R"({"error":1})";
                response.keep_alive(request.keep_alive());
                response.prepare_payload();
                co_await http::async_write(stream, response, net::use_awaitable);
                if (!request.keep_alive()) {
                    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both);
                    co_return;
                }
            }
        } catch (const std::exception&) {
            // The client went away, or the handshake failed: nothing to record.
        }
    }

    FakePartner& owner;
    ssl::context tls;    // outlives io, whose destructor ends the connections that use it
    net::io_context io;
    tcp::acceptor acceptor;
    std::thread thread;
};

FakePartner::FakePartner(const TestPki& pki, PartnerBehaviour behaviour, bool require_client_certificate)
    : behaviour_(behaviour) {
    server_ = std::make_unique<Server>(*this, pki, require_client_certificate);
    port_ = server_->acceptor.local_endpoint().port();
}

FakePartner::~FakePartner() { server_.reset(); }

std::string FakePartner::url(std::string_view path) const {
    return "https://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

void FakePartner::set_behaviour(PartnerBehaviour behaviour) {
    std::lock_guard lock(mutex_);
    behaviour_ = behaviour;
    script_ = nullptr;
}

void FakePartner::set_script(std::function<PartnerBehaviour(std::size_t)> script) {
    std::lock_guard lock(mutex_);
    script_ = std::move(script);
}

PartnerBehaviour FakePartner::record(ReceivedPush push) {
    std::lock_guard lock(mutex_);
    const std::size_t n = received_.size() + 1;
    const PartnerBehaviour behaviour = script_ ? script_(n) : behaviour_;
    push.answered = behaviour;
    if (behaviour == PartnerBehaviour::accept || behaviour == PartnerBehaviour::accept_then_hang) {
        bool seen = false;
        for (const ReceivedPush& d : delivered_) seen = seen || d.idempotency_key == push.idempotency_key;
        if (!seen) delivered_.push_back(push);
    }
    received_.push_back(std::move(push));
    changed_.notify_all();
    return behaviour;
}

std::vector<ReceivedPush> FakePartner::received() const {
    std::lock_guard lock(mutex_);
    return received_;
}

std::size_t FakePartner::request_count() const {
    std::lock_guard lock(mutex_);
    return received_.size();
}

std::vector<std::string> FakePartner::deliveries() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> keys;
    for (const ReceivedPush& d : delivered_) keys.push_back(d.idempotency_key);
    return keys;
}

std::vector<ReceivedPush> FakePartner::delivered() const {
    std::lock_guard lock(mutex_);
    return delivered_;
}

bool FakePartner::wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return received_.size() >= count; });
}

bool FakePartner::wait_for_deliveries(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return delivered_.size() >= count; });
}

}  // namespace carebridge::testing
