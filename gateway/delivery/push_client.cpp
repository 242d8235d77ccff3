#include "delivery/push_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <charconv>
#include <cstdlib>
#include <optional>

namespace carebridge::gateway::delivery {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::size_t max_response_header_bytes = 16 * 1024;  // a webhook's reply is a status line and a few headers

// A context per attempt: the endpoint's files are read as they are now, so
// a rotated certificate or CA applies from the next attempt without a restart.
std::shared_ptr<ssl::context> make_client_context(const PushEndpoint& endpoint, std::string& error) {
    auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
    // TLS 1.2 and 1.3 only, as the gateway's own listener.
    SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
    error_code ec;
    if (endpoint.ca_file.empty())
        context->set_default_verify_paths(ec);
    else
        context->load_verify_file(endpoint.ca_file, ec);
    if (ec) {
        error = "tls-setup: cannot use the CA " + (endpoint.ca_file.empty() ? "store" : endpoint.ca_file) + ": " +
                ec.message();
        return nullptr;
    }
    if (!endpoint.client_certificate_file.empty()) {
        context->use_certificate_chain_file(endpoint.client_certificate_file, ec);
        if (!ec) context->use_private_key_file(endpoint.client_key_file, ssl::context::pem, ec);
        if (ec) {
            error = "tls-setup: cannot use the client certificate " + endpoint.client_certificate_file + ": " +
                    ec.message();
            return nullptr;
        }
    }
    context->set_verify_mode(ssl::verify_peer, ec);
    return context;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value) {
    // Seconds only; an HTTP-date is rare from a webhook and the backoff covers it.
    unsigned long seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    return std::chrono::seconds(std::min<unsigned long>(seconds, 24ul * 3600));
}

class BeastPush final : public PushAttempt, public std::enable_shared_from_this<BeastPush> {
public:
    BeastPush(net::io_context& io, PushTarget target, const DeliveryOptions& options,
              std::function<void(AttemptResult)> done)
        : io_(io),
          target_(std::move(target)),
          options_(options),
          done_(std::move(done)),
          resolver_(io),
          resolve_timer_(io) {}

    void run(PushRequest request) {
        std::string error;
        if (target_.tls) {
            tls_context_ = make_client_context(request.endpoint, error);
            if (!tls_context_) return finish_failure(std::move(error));
            tls_.emplace(io_, *tls_context_);
        } else {
            plain_.emplace(io_);
        }
        request_.method(http::verb::post);
        request_.target(target_.target);
        request_.version(11);
        // Host carries brackets round an IPv6 address and the port when not the scheme's.
        const bool ipv6 = target_.host.find(':') != std::string::npos;
        std::string host = ipv6 ? "[" + target_.host + "]" : target_.host;
        if (target_.port != (target_.tls ? "443" : "80")) host += ":" + target_.port;
        request_.set(http::field::host, host);
        request_.set(http::field::user_agent, "carebridge-delivery");
        request_.set(http::field::content_type, request.content_type);
        request_.set("Idempotency-Key", request.idempotency_key);
        if (!request.referral_id.empty()) request_.set("Carebridge-Referral-Id", request.referral_id);
        if (!request.endpoint.bearer_token_env.empty()) {
            const char* token = std::getenv(request.endpoint.bearer_token_env.c_str());
            if (!token || !*token)
                return finish_failure("authorization: the environment variable " +
                                      request.endpoint.bearer_token_env + " is not set");
            request_.set(http::field::authorization, std::string("Bearer ") + token);
        }
        request_.set(http::field::connection, "close");
        request_.body() = std::move(request.body);
        request_.prepare_payload();

        // The resolver has no deadline of its own.
        resolve_timer_.expires_after(options_.resolve_timeout);
        resolve_timer_.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec) {
                self->resolve_timed_out_ = true;
                self->resolver_.cancel();
            }
        });
        resolver_.async_resolve(target_.host, target_.port,
                                [self = shared_from_this()](error_code ec, tcp::resolver::results_type results) {
                                    self->on_resolve(ec, std::move(results));
                                });
    }

    void cancel() override {
        net::post(io_, [self = shared_from_this()] {
            if (self->finished_) return;
            self->cancelled_ = true;
            self->resolver_.cancel();
            self->resolve_timer_.cancel();
            if (self->tls_ || self->plain_) {
                error_code ignored;
                self->tcp().socket().close(ignored);
            }
        });
    }

private:
    beast::tcp_stream& tcp() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

    void on_resolve(error_code ec, tcp::resolver::results_type results) {
        resolve_timer_.cancel();
        if (resolve_timed_out_) ec = beast::error::timeout;
        if (ec) return fail("resolve", ec);
        tcp().expires_after(options_.connect_timeout);
        tcp().async_connect(results, [self = shared_from_this()](error_code ec, const tcp::endpoint&) {
            self->on_connect(ec);
        });
    }

    void on_connect(error_code ec) {
        if (ec) return fail("connect", ec);
        if (!tls_) return do_write();
        // SNI for a name, never for an address (RFC 6066); the name or the
        // address is checked against the partner's certificate either way.
        error_code parse_error;
        net::ip::make_address(target_.host, parse_error);
        if (parse_error && !SSL_set_tlsext_host_name(tls_->native_handle(), target_.host.c_str()))
            return fail("handshake", error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category()));
        tls_->set_verify_callback(ssl::host_name_verification(target_.host));
        tcp().expires_after(options_.handshake_timeout);
        tls_->async_handshake(ssl::stream_base::client,
                              [self = shared_from_this()](error_code ec) { self->on_handshake(ec); });
    }

    void on_handshake(error_code ec) {
        if (ec) return fail("handshake", ec);
        do_write();
    }

    void do_write() {
        tcp().expires_after(options_.write_timeout);
        auto handler = [self = shared_from_this()](error_code ec, std::size_t) { self->on_write(ec); };
        if (tls_)
            http::async_write(*tls_, request_, std::move(handler));
        else
            http::async_write(*plain_, request_, std::move(handler));
    }

    void on_write(error_code ec) {
        if (ec) return fail("write", ec);
        tcp().expires_after(options_.response_timeout);
        parser_.emplace();
        parser_->header_limit(max_response_header_bytes);
        parser_->body_limit(options_.max_response_bytes);
        auto handler = [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); };
        if (tls_)
            http::async_read(*tls_, buffer_, *parser_, std::move(handler));
        else
            http::async_read(*plain_, buffer_, *parser_, std::move(handler));
    }

    void on_read(error_code ec) {
        // A reply too long to read whole still says, in its status line, what happened.
        if (ec == http::error::body_limit && parser_->is_header_done()) ec = {};
        if (ec) return fail("read", ec);
        AttemptResult result;
        result.http_status = parser_->get().result_int();
        const auto retry_after = parser_->get()[http::field::retry_after];
        result.retry_after = parse_retry_after(std::string_view(retry_after.data(), retry_after.size()));
        finish(std::move(result));
    }

    void fail(std::string_view step, error_code ec) {
        AttemptResult result;
        if (cancelled_) {
            result.cancelled = true;
            result.failure = "cancelled";
        } else {
            result.failure = std::string(step) + ": " + (ec == beast::error::timeout ? std::string("timed out")
                                                                                      : ec.message());
        }
        finish(std::move(result));
    }

    void finish_failure(std::string failure) {
        AttemptResult result;
        result.failure = std::move(failure);
        // Called from run(), before the caller has its handle: answer from the queue.
        net::post(io_, [self = shared_from_this(), result = std::move(result)]() mutable {
            self->finish(std::move(result));
        });
    }

    void finish(AttemptResult result) {
        if (finished_) return;
        finished_ = true;
        resolve_timer_.cancel();
        if (tls_ || plain_) {
            error_code ignored;
            tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
            tcp().socket().close(ignored);
        }
        auto done = std::move(done_);
        done(std::move(result));
    }

    net::io_context& io_;
    PushTarget target_;
    const DeliveryOptions options_;  // a copy: the attempt may outlive the caller's
    std::function<void(AttemptResult)> done_;
    tcp::resolver resolver_;
    net::steady_timer resolve_timer_;
    std::shared_ptr<ssl::context> tls_context_;  // outlives tls_, which refers to it
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
    std::optional<beast::tcp_stream> plain_;
    http::request<http::string_body> request_;
    beast::flat_buffer buffer_;
    std::optional<http::response_parser<http::string_body>> parser_;
    bool resolve_timed_out_ = false;
    bool cancelled_ = false;
    bool finished_ = false;
};

}  // namespace

std::shared_ptr<PushAttempt> start_push(net::io_context& io, PushRequest request, const DeliveryOptions& options,
                                        std::function<void(AttemptResult)> done) {
    std::string error;
    auto target = parse_push_url(request.endpoint.url, error);
    if (target && !target->tls && !request.endpoint.allow_plain_http) {
        target.reset();
        error = "the endpoint is plain http:// and the config does not allow it";
    }
    if (!target) {
        // Nothing to connect to; still answered through the queue, never inline.
        AttemptResult result;
        result.failure = "endpoint: " + error;
        net::post(io, [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
        return nullptr;
    }
    auto attempt = std::make_shared<BeastPush>(io, std::move(*target), options, std::move(done));
    attempt->run(std::move(request));
    return attempt;
}

}  // namespace carebridge::gateway::delivery
