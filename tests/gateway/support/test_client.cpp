#include "support/test_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace carebridge::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

namespace {

std::unique_ptr<ssl::context> make_tls_context(const ClientTls& tls, error_code& ec) {
    auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
    context->set_verify_mode(tls.verify_server ? ssl::verify_peer : ssl::verify_none, ec);
    if (!ec && !tls.ca_cert.empty()) context->load_verify_file(tls.ca_cert, ec);
    if (!ec && !tls.client_cert.empty()) context->use_certificate_chain_file(tls.client_cert, ec);
    if (!ec && !tls.client_key.empty()) context->use_private_key_file(tls.client_key, ssl::context::pem, ec);
    if (ec) return nullptr;
    return context;
}

// The name the server certificate must carry. SNI carries only DNS names
// (RFC 6066), so an IP literal is checked against the IP SAN and not sent.
error_code configure_peer_check(SSL* ssl, const ClientTls& tls, const std::string& host) {
    const std::string name = tls.server_name.empty() ? host : tls.server_name;
    error_code not_ip;
    asio::ip::make_address(name, not_ip);
    const bool is_ip = !not_ip;
    bool ok = true;
    if (!is_ip) ok = SSL_set_tlsext_host_name(ssl, name.c_str()) == 1;
    if (ok && tls.verify_server) {
        ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1
                   : SSL_set1_host(ssl, name.c_str()) == 1;
    }
    if (!ok) return error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category());
    return {};
}

}  // namespace

ClientTls tls_as(const TestPki& pki, std::string_view client) {
    ClientTls tls;
    tls.ca_cert = pki.ca_cert();
    if (!client.empty()) {
        tls.client_cert = pki.client_cert(client);
        tls.client_key = pki.client_key(client);
    }
    return tls;
}

std::string Response::header(std::string_view name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : std::string(it->value());
}

// ---------------------------------------------------------------- HttpClient

HttpClient::HttpClient(ServerAddress server, std::optional<ClientTls> tls, std::chrono::milliseconds timeout)
    : server_(std::move(server)), tls_(std::move(tls)), timeout_(timeout) {}

HttpClient::~HttpClient() { drop(); }

beast::tcp_stream& HttpClient::tcp() { return tls_stream_ ? tls_stream_->next_layer() : *plain_; }

bool HttpClient::is_open() const {
    return tls_stream_ ? tls_stream_->next_layer().socket().is_open() : plain_ && plain_->socket().is_open();
}

void HttpClient::drop() {
    if (plain_ || tls_stream_) {
        error_code ignored;
        tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
        tcp().socket().close(ignored);
    }
    tls_stream_.reset();
    plain_.reset();
}

// Each operation below is asynchronous only so tcp_stream's timeout applies
// (it does not to synchronous calls); run() waits for it on this thread.
error_code HttpClient::connect() {
    drop();
    failed_step_.clear();
    const auto fail = [this](const char* step, error_code ec) {
        failed_step_ = step;
        drop();
        return ec;
    };
    const auto run = [this] {
        io_.restart();
        io_.run();
    };

    error_code ec;
    tcp::resolver resolver(io_);
    const auto endpoints = resolver.resolve(server_.host, std::to_string(server_.port), ec);
    if (ec) return fail("resolve", ec);

    if (tls_) {
        if (!ssl_context_) ssl_context_ = make_tls_context(*tls_, ec);
        if (ec) return fail("tls-setup", ec);
        tls_stream_ = std::make_unique<TlsStream>(io_, *ssl_context_);
        ec = configure_peer_check(tls_stream_->native_handle(), *tls_, server_.host);
        if (ec) return fail("tls-setup", ec);
    } else {
        plain_ = std::make_unique<beast::tcp_stream>(io_);
    }

    tcp().expires_after(timeout_);
    tcp().async_connect(endpoints, [&ec](error_code e, const tcp::endpoint&) { ec = e; });
    run();
    if (ec) return fail("connect", ec);
    ++connections_opened_;

    if (tls_stream_) {
        tcp().expires_after(timeout_);
        tls_stream_->async_handshake(ssl::stream_base::client, [&ec](error_code e) { ec = e; });
        run();
        if (ec) return fail("handshake", ec);
    }
    tcp().expires_never();
    return {};
}

Response HttpClient::request(const Request& request) {
    Response response;
    if (!is_open()) {
        response.error = connect();
        if (response.error) {
            response.failed_step = failed_step_;
            return response;
        }
    }
    failed_step_.clear();
    const auto run = [this] {
        io_.restart();
        io_.run();
    };
    const auto fail = [&](const char* step, error_code ec) {
        failed_step_ = step;
        drop();
        response.error = ec;
        response.failed_step = step;
        return std::move(response);
    };

    http::request<http::string_body> message;
    message.version(11);
    message.method_string(request.method);
    message.target(request.target);
    bool has_host = false, has_length = false;
    for (const auto& [name, value] : request.headers) {
        message.insert(name, value);
        has_host |= beast::iequals(name, "Host");
        has_length |= beast::iequals(name, "Content-Length") || beast::iequals(name, "Transfer-Encoding");
    }
    if (!has_host) {
        const std::string& host = tls_ && !tls_->server_name.empty() ? tls_->server_name : server_.host;
        const bool ipv6 = host.find(':') != std::string::npos;
        message.set(http::field::host, (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(server_.port));
    }
    message.body() = request.body;
    if (!has_length) message.prepare_payload();

    error_code ec;
    tcp().expires_after(timeout_);
    const auto on_done = [&ec](error_code e, std::size_t) { ec = e; };
    if (tls_stream_)
        http::async_write(*tls_stream_, message, on_done);
    else
        http::async_write(*plain_, message, on_done);
    run();
    if (ec) return fail("write", ec);

    // A fresh buffer per response: the server may not pipeline, so nothing
    // after one response belongs to the next.
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(body_limit_);
    parser.skip(request.method == "HEAD");
    tcp().expires_after(timeout_);
    if (tls_stream_)
        http::async_read(*tls_stream_, buffer, parser, on_done);
    else
        http::async_read(*plain_, buffer, parser, on_done);
    run();
    if (ec) return fail("read", ec);
    tcp().expires_never();

    auto message_in = parser.release();
    response.status = message_in.result_int();
    response.keep_alive = message_in.keep_alive();
    response.body = std::move(message_in.body());
    response.headers = std::move(message_in.base());
    if (!response.keep_alive) drop();
    return response;
}

Response HttpClient::get(std::string target, std::vector<std::pair<std::string, std::string>> headers) {
    return request(Request{"GET", std::move(target), std::move(headers), {}});
}

Response HttpClient::post(std::string target, std::string content_type, std::string body,
                          std::vector<std::pair<std::string, std::string>> headers) {
    headers.emplace_back("Content-Type", std::move(content_type));
    return request(Request{"POST", std::move(target), std::move(headers), std::move(body)});
}

void HttpClient::close() {
    if (tls_stream_ && is_open()) {
        // A short close_notify, so the server sees an orderly end rather than
        // a truncated stream; a server that does not answer costs at most this.
        tcp().expires_after(std::min<std::chrono::milliseconds>(timeout_, std::chrono::milliseconds(500)));
        tls_stream_->async_shutdown([](error_code) {});
        io_.restart();
        io_.run();
    }
    drop();
}

// ------------------------------------------------------------- RawConnection

RawConnection::RawConnection(ServerAddress server, std::optional<ClientTls> tls)
    : server_(std::move(server)), tls_(std::move(tls)) {}

RawConnection::~RawConnection() { close(); }

template <class Done>
bool RawConnection::run_until(Done done, Clock::time_point deadline) {
    while (!done()) {
        io_.restart();
        // 0: the deadline passed, or nothing is pending that could make done() true.
        if (io_.run_one_until(deadline) == 0) return done();
    }
    return true;
}

error_code RawConnection::connect(std::chrono::milliseconds timeout) {
    close();
    closed_ = false;
    close_reason_ = {};
    received_.clear();
    const auto deadline = Clock::now() + timeout;

    error_code ec;
    tcp::resolver resolver(io_);
    const auto endpoints = resolver.resolve(server_.host, std::to_string(server_.port), ec);
    if (ec) return ec;
    if (!ssl_context_) {
        ssl_context_ = tls_ ? make_tls_context(*tls_, ec) : std::make_unique<ssl::context>(ssl::context::tls_client);
        if (ec) return ec;
    }
    stream_ = std::make_unique<ssl::stream<tcp::socket>>(io_, *ssl_context_);
    if (tls_) {
        ec = configure_peer_check(stream_->native_handle(), *tls_, server_.host);
        if (ec) return ec;
    }

    // Runs one operation to its end; past the deadline the socket is closed,
    // which completes it with operation_aborted, and that is waited for too
    // because the handler refers to this frame.
    const auto finish = [&](bool& done) {
        if (!run_until([&] { return done; }, deadline)) {
            error_code ignored;
            stream_->next_layer().close(ignored);
            run_until([&] { return done; }, Clock::time_point::max());
            ec = asio::error::timed_out;
        }
    };

    bool done = false;
    asio::async_connect(stream_->next_layer(), endpoints, [&](error_code e, const tcp::endpoint&) {
        ec = e;
        done = true;
    });
    finish(done);
    if (ec) return ec;
    connected_at_ = Clock::now();

    if (tls_) {
        done = false;
        stream_->async_handshake(ssl::stream_base::client, [&](error_code e) {
            ec = e;
            done = true;
        });
        finish(done);
        if (ec) return ec;
    }
    start_reading();
    return {};
}

// A read is always pending while the connection is open, so a close by the
// server is seen during whatever the test waits on, not only when it reads.
void RawConnection::start_reading() {
    if (reading_ || closed_ || !stream_) return;
    reading_ = true;
    const auto on_read = [this](error_code ec, std::size_t n) {
        reading_ = false;
        received_.append(read_buffer_, n);
        if (ec) {
            if (ec == asio::error::operation_aborted && !stream_->next_layer().is_open()) return;  // we closed it
            closed_ = true;
            close_reason_ = ec;
            closed_at_ = Clock::now();
            return;
        }
        start_reading();
    };
    if (tls_)
        stream_->async_read_some(asio::buffer(read_buffer_), on_read);
    else
        stream_->next_layer().async_read_some(asio::buffer(read_buffer_), on_read);
}

error_code RawConnection::write_all(std::string_view bytes, Clock::time_point deadline) {
    if (!stream_ || !stream_->next_layer().is_open()) return asio::error::not_connected;
    bool done = false;
    error_code ec;
    const auto on_write = [&](error_code e, std::size_t) {
        ec = e;
        done = true;
    };
    if (tls_)
        asio::async_write(*stream_, asio::buffer(bytes.data(), bytes.size()), on_write);
    else
        asio::async_write(stream_->next_layer(), asio::buffer(bytes.data(), bytes.size()), on_write);
    if (!run_until([&] { return done; }, deadline)) {
        // The server stopped reading: give up on the connection, as a real
        // client would, and wait for the aborted handler that refers to ec.
        error_code ignored;
        stream_->next_layer().close(ignored);
        run_until([&] { return done; }, Clock::time_point::max());
        return asio::error::timed_out;
    }
    // A write that fails because the server hung up is a close, even if the
    // pending read has not reported it yet.
    if (ec && !closed_ &&
        (ec == asio::error::broken_pipe || ec == asio::error::connection_reset || ec == asio::error::eof)) {
        closed_ = true;
        close_reason_ = ec;
        closed_at_ = Clock::now();
    }
    return ec;
}

error_code RawConnection::write(std::string_view bytes, std::chrono::milliseconds timeout) {
    return write_all(bytes, Clock::now() + timeout);
}

SlowWrite RawConnection::write_slowly(std::string_view bytes, std::chrono::milliseconds gap) {
    SlowWrite result;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (closed_) break;
        result.error = write_all(bytes.substr(i, 1), Clock::now() + std::chrono::seconds(10));
        if (result.error) break;
        ++result.bytes_written;
        if (i + 1 < bytes.size()) run_until([this] { return closed_; }, Clock::now() + gap);
    }
    result.closed_by_peer = closed_ && result.bytes_written < bytes.size();
    return result;
}

RawRead RawConnection::read_until_closed(std::chrono::milliseconds timeout) {
    const std::size_t start = received_.size();
    RawRead result;
    result.timed_out = !run_until([this] { return closed_; }, Clock::now() + timeout);
    result.closed_by_peer = closed_;
    result.bytes = received_.substr(start);
    return result;
}

RawRead RawConnection::read_at_least(std::size_t count, std::chrono::milliseconds timeout) {
    const std::size_t start = received_.size();
    RawRead result;
    result.timed_out =
        !run_until([this, count] { return closed_ || received_.size() >= count; }, Clock::now() + timeout);
    result.closed_by_peer = closed_;
    result.bytes = received_.substr(start);
    return result;
}

std::optional<std::chrono::milliseconds> RawConnection::closed_after() const {
    if (!closed_) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::milliseconds>(closed_at_ - connected_at_);
}

void RawConnection::close() {
    if (!stream_) return;
    error_code ignored;
    stream_->next_layer().close(ignored);
    // Let the pending read finish (aborted) before the stream goes away.
    run_until([this] { return !reading_; }, Clock::now() + std::chrono::seconds(1));
    stream_.reset();
}

}  // namespace carebridge::testing
