#include "server/session.hpp"
#include "server/test_stream_session.hpp"

#include "server/upload_file.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <limits>
#include <optional>

namespace carebridge::gateway::server {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

http::Method method_of(bhttp::verb verb) {
    switch (verb) {
        case bhttp::verb::get: return http::Method::get;
        case bhttp::verb::head: return http::Method::head;
        case bhttp::verb::post: return http::Method::post;
        case bhttp::verb::put: return http::Method::put;
        case bhttp::verb::patch: return http::Method::patch;
        case bhttp::verb::delete_: return http::Method::delete_;
        case bhttp::verb::options: return http::Method::options;
        default: return http::Method::other;
    }
}

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\u%04x", c);
            out += esc;
        } else {
            out += c;
        }
    }
    out += '"';
}

// The RFC 2253 subject of a verified peer certificate; empty otherwise.
std::string verified_subject(SSL* ssl) {
    if (SSL_get_verify_result(ssl) != X509_V_OK) return {};
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (!cert) return {};
    std::string subject;
    if (BIO* bio = BIO_new(BIO_s_mem())) {
        if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
            char* data = nullptr;
            const long n = BIO_get_mem_data(bio, &data);
            if (n > 0) subject.assign(data, static_cast<std::size_t>(n));
        }
        BIO_free(bio);
    }
    X509_free(cert);
    return subject;
}

// Why a request's framing could be read two ways by two parsers (request
// smuggling, RFC 9112 §6.1 and §6.3); empty when it is unambiguous.
std::string_view ambiguous_framing(const bhttp::request_parser<bhttp::empty_body>::value_type& header) {
    std::size_t transfer_encodings = 0, content_lengths = 0;
    std::string_view transfer_encoding, content_length;
    bool lengths_differ = false;
    for (const auto& field : header) {
        const std::string_view name = field.name_string();
        const std::string_view value = field.value();
        if (value.find_first_of("\r\n") != std::string_view::npos)
            return "a header value holds a line break (obs-fold or a bare CR)";
        if (beast::iequals(name, "Transfer-Encoding")) {
            ++transfer_encodings;
            transfer_encoding = value;
        } else if (beast::iequals(name, "Content-Length")) {
            if (content_lengths++ == 0)
                content_length = value;
            else if (value != content_length)
                lengths_differ = true;
            if (value.find(',') != std::string_view::npos) lengths_differ = true;
        }
    }
    if (transfer_encodings > 1) return "Transfer-Encoding is given more than once";
    if (transfer_encodings == 1 && content_lengths > 0) return "Transfer-Encoding and Content-Length together";
    if (transfer_encodings == 1 && !beast::iequals(transfer_encoding, "chunked"))
        return "the only Transfer-Encoding taken is chunked";
    if (lengths_differ) return "Content-Length values differ";
    return {};
}

template <class Derived>
class Session {
public:
    explicit Session(SessionContext& context) : context_(context) { context_.metrics.connection_opened(); }
    ~Session() {
        remove_upload();
        if (request_in_flight_) context_.in_flight.fetch_sub(1);
        context_.metrics.connection_closed();
    }

protected:
    Derived& derived() { return static_cast<Derived&>(*this); }

    void do_read_header() {
        header_parser_.emplace();
        answering_head_ = false;
        config_ = context_.pipeline.config();
        const auto& limits = config_->limits;
        header_parser_->header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));  // cap header abuse
        // The body's limit depends on the route; screening checks a declared length.
        header_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
        // A keep-alive connection may idle between requests; the first request must come promptly.
        beast::get_lowest_layer(derived().stream())
            .expires_after(requests_ == 0 ? limits.read_timeout : limits.idle_timeout);
        bhttp::async_read_header(derived().stream(), buffer_, *header_parser_,
                                 beast::bind_front_handler(&Session::on_read_header, derived().shared_from_this()));
    }

    void on_read_header(beast::error_code ec, std::size_t) {
        if (ec == bhttp::error::end_of_stream || ec == net::error::eof) return derived().do_close();
        if (ec == beast::error::timeout) {
            // Nothing half-sent is lost: only a request that never arrived whole.
            if (buffer_.size() > 0 || requests_ == 0) context_.metrics.count_rejection(http::Rejection::read_timeout);
            return;
        }
        started_ = Clock::now();
        route_ = http::RouteId::unmatched;
        if (ec == bhttp::error::header_limit) {
            context_.metrics.count_rejection(http::Rejection::header_too_large);
            return send_error(431, "too-long", "the request header is over the limit", true);
        }
        if (ec) {
            if (ec == net::error::operation_aborted || ec == net::error::connection_reset) return;
            context_.metrics.count_rejection(http::Rejection::malformed);
            return send_error(400, "structure", "not a valid HTTP/1.1 request", true);
        }
        const auto& header = header_parser_->get();
        answering_head_ = header.method() == bhttp::verb::head;
        if (const std::string_view why = ambiguous_framing(header); !why.empty()) {
            // Its body is never read as a request: answered, drained and closed.
            context_.metrics.count_rejection(http::Rejection::malformed);
            linger_ = true;
            return send_error(400, "structure", std::string(why), true);
        }
        begin_request();
        request_ = http::Request();
        request_.method = method_of(header.method());
        request_.target = std::string(header.target());
        request_.content_type = std::string(header[bhttp::field::content_type]);
        request_.content_length = std::string(header[bhttp::field::content_length]);
        request_.accept = std::string(header[bhttp::field::accept]);
        request_.authorization = std::string(header[bhttp::field::authorization]);
        request_.idempotency_key = std::string(header["Idempotency-Key"]);
        request_.caller.remote_address = remote_;
        request_.caller.certificate_subject = certificate_subject_;
        keep_alive_ = header.keep_alive();
        if (request_.idempotency_key.size() > 256) {
            context_.metrics.count_rejection(http::Rejection::malformed);
            return send_error(400, "invalid", "Idempotency-Key is over 256 characters", true);
        }

        screened_ = api::Screened();
        const bool expects_continue = header[bhttp::field::expect] == "100-continue";
        if (auto turned_away = context_.pipeline.screen(request_, screened_)) {
            route_ = screened_.route;
            const bool has_body = header_parser_->content_length().value_or(0) > 0 || header_parser_->chunked();
            if (!has_body) return write(std::move(*turned_away));
            if (turned_away->close || expects_continue) {
                // The body is unwanted: answer, then drain what is still coming
                // so the client reads the answer instead of a reset.
                linger_ = true;
                turned_away->close = true;
                return write(std::move(*turned_away));
            }
            // A small body is read and dropped so the connection stays usable.
            pending_refusal_ = std::move(*turned_away);
            screened_.body_limit = limits_().max_json_body_bytes;
            screened_.body_to_file = false;
            return do_read_body();
        }
        route_ = screened_.route;
        if (expects_continue) {
            auto interim = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
            bhttp::async_write(derived().stream(), *interim,
                               [self = derived().shared_from_this(), interim](beast::error_code ec, std::size_t) {
                                   if (ec) return;
                                   self->do_read_body();
                               });
            return;
        }
        do_read_body();
    }

    void do_read_body() {
        // Bodies must keep up a modest rate: a gigabyte export may take minutes,
        // a slow client dribbling bytes may not hold a connection forever.
        const auto declared = header_parser_->content_length().value_or(0);
        // The endpoint declares its base time (screen() put it in screened_); the rest is ≥ 1 MB/s.
        const auto allowance = screened_.body_timeout + std::chrono::milliseconds(declared / 1024);
        // Beast sizes each read by the buffer's free space: room for the body
        // (up to 64 KB) turns ~80 small TLS reads of a 38 KB referral into ~7.
        buffer_.reserve(std::min<std::size_t>(buffer_.size() + declared + 1024, 64 * 1024));
        beast::get_lowest_layer(derived().stream()).expires_after(allowance);
        if (screened_.body_to_file) {
            upload_path_ = context_.incoming_directory /
                           ("export-" + std::to_string(::getpid()) + "-" + std::to_string(context_.next_upload++) + ".xml");
            file_parser_.emplace(std::move(*header_parser_));
            file_parser_->body_limit(screened_.body_limit);  // exports stream to disk, within their own limit
            beast::error_code ec;
            file_parser_->get().body().open(upload_path_.c_str(), beast::file_mode::write, ec);
            if (ec) return send_no_room("cannot take an export now: no space to receive it");
        } else {
            string_parser_.emplace(std::move(*header_parser_));
            string_parser_->body_limit(screened_.body_limit);  // a referral is KBs; cap abuse
        }
        body_received_ = 0;
        body_declared_ = declared;
        body_too_slow_ = false;
        // A request without a body is whole already; a read now would wait for the next one.
        if (body_done()) return on_read_body({}, 0);
        start_rate_window();
        read_body_some();
    }

    // The body is read piece by piece so that the rate window sees each piece arrive.
    void read_body_some() {
        auto handler = beast::bind_front_handler(&Session::on_read_body_some, derived().shared_from_this());
        if (screened_.body_to_file)
            bhttp::async_read_some(derived().stream(), buffer_, *file_parser_, std::move(handler));
        else
            bhttp::async_read_some(derived().stream(), buffer_, *string_parser_, std::move(handler));
    }

    void on_read_body_some(beast::error_code ec, std::size_t n) {
        body_received_ += n;
        // The window may have cut the body just as this read completed, with no read left to cancel.
        if (body_too_slow_) return on_read_body(net::error::operation_aborted, body_received_);
        if (ec || body_done()) {
            body_rate_timer_.reset();  // a body that is whole (or failed) is not timed any more
            return on_read_body(ec, body_received_);
        }
        read_body_some();
    }

    bool body_done() const { return screened_.body_to_file ? file_parser_->is_done() : string_parser_->is_done(); }

    // Every window, the body must have grown by the minimum rate times the
    // window (or be whole); a body that has not is cut with 408. A client
    // that sent everything at once finishes before the first check.
    void start_rate_window() {
        const auto& limits = limits_();
        const auto window = limits.body_rate_window;
        const auto window_seconds = std::chrono::duration<double>(window).count();
        const auto at_least = std::max<std::size_t>(
            1, static_cast<std::size_t>(static_cast<double>(limits.min_body_bytes_per_second) * window_seconds));
        // What is left of a declared body is all the window may ask for.
        const auto left = body_declared_ > body_received_ ? body_declared_ - body_received_ : 0;
        const auto wanted = body_declared_ > 0 ? std::min(at_least, left) : at_least;
        const auto received_before = body_received_;
        body_rate_timer_.emplace(derived().stream().get_executor());
        body_rate_timer_->expires_after(window);
        body_rate_timer_->async_wait(
            [self = derived().shared_from_this(), wanted, received_before](beast::error_code ec) {
                if (ec || !self->body_rate_timer_) return;  // the body ended first
                if (self->body_received_ - received_before >= wanted) return self->start_rate_window();
                self->body_too_slow_ = true;
                self->body_rate_timer_.reset();
                // The pending read ends with operation_aborted; on_read_body answers 408.
                self->derived().cancel_reads();
            });
    }

    void on_read_body(beast::error_code ec, std::size_t) {
        if (ec == bhttp::error::body_limit) {
            linger_ = true;
            pending_refusal_.reset();
            context_.metrics.count_rejection(http::Rejection::body_too_large);
            return send_error(413, "too-long",
                              "the body is over this endpoint's limit of " + std::to_string(screened_.body_limit) +
                                  " bytes",
                              true);
        }
        if (ec.category() == upload_write_category()) {
            linger_ = true;  // the rest of the body is still coming; drain it so the client reads the 503
            return send_no_room("the export could not be kept (" + ec.message() + "); nothing was stored, send it again");
        }
        if (ec == beast::error::timeout) {
            context_.metrics.count_rejection(http::Rejection::read_timeout);
            return;
        }
        if (body_too_slow_) {
            pending_refusal_.reset();
            context_.metrics.count_rejection(http::Rejection::body_too_slow);
            const auto& limits = limits_();
            return send_error(408, "timeout",
                              "the body arrived slower than " + std::to_string(limits.min_body_bytes_per_second) +
                                  " bytes a second over " + std::to_string(limits.body_rate_window.count()) + " ms",
                              true);
        }
        if (ec) {
            if (ec == net::error::operation_aborted || ec == net::error::connection_reset ||
                ec == bhttp::error::partial_message || ec == net::error::eof)
                return;
            context_.metrics.count_rejection(http::Rejection::malformed);
            return send_error(400, "structure", "the request body could not be read", true);
        }
        if (pending_refusal_) {
            http::Response refusal = std::move(*pending_refusal_);
            pending_refusal_.reset();
            return write(std::move(refusal));
        }
        if (screened_.body_to_file) {
            beast::error_code closed;
            file_parser_->get().body().file().close(closed);  // some filesystems report a full disk only here
            if (closed) return send_no_room("the export could not be kept; nothing was stored, send it again");
            request_.body_file = upload_path_.string();
        } else {
            request_.body = std::move(string_parser_->get().body());
        }
        // Decoding a body runs on the work pool; a body-less request (health,
        // reads) is answered here. Either may answer from the store's thread.
        if (context_.work && (!request_.body.empty() || !request_.body_file.empty())) {
            net::post(*context_.work, [self = derived().shared_from_this()]() mutable {
                auto session = std::move(self);
                session->hand_to_pipeline();
            });
            return;
        }
        hand_to_pipeline();
    }

    void hand_to_pipeline() {
        // The pipeline may answer from another thread; come back to this strand to write.
        context_.pipeline.handle(std::move(request_), screened_,
                                 [self = derived().shared_from_this()](http::Response response) mutable {
                                     // The other thread lets go of the session here, so its last
                                     // reference is dropped (and the session destroyed) on its own executor.
                                     auto session = std::move(self);
                                     auto executor = session->derived().stream().get_executor();
                                     net::post(executor, [session = std::move(session),
                                                          response = std::move(response)]() mutable {
                                         session->write(std::move(response));
                                     });
                                 });
    }

    void send_error(unsigned status, std::string_view code, std::string message, bool close) {
        if (!request_in_flight_) begin_request();
        http::Response r = http::outcome_response(status, "error", code, message);
        r.close = close;
        write(std::move(r));
    }

    // The gateway could not keep an export's body: the partial file goes (write() removes it).
    void send_no_room(std::string message) {
        context_.metrics.count_rejection(http::Rejection::upload_io);
        if (!request_in_flight_) begin_request();
        http::Response r = http::outcome_response(503, "error", "transient", std::move(message));
        r.headers.emplace_back("Retry-After", "5");
        r.close = true;
        write(std::move(r));
    }

    void begin_request() {
        request_in_flight_ = true;
        context_.in_flight.fetch_add(1);
    }

    void write(http::Response response) {
        remove_upload();
        const bool close = response.close || !keep_alive_ || context_.pipeline.draining();
        auto message = std::make_shared<bhttp::response<bhttp::string_body>>();
        message->version(11);
        message->result(response.status);
        message->set(bhttp::field::server, "carebridge");
        if (!response.content_type.empty()) message->set(bhttp::field::content_type, response.content_type);
        for (auto& [name, value] : response.headers) message->set(name, value);
        message->keep_alive(!close);
        message->body() = std::move(response.body);
        message->prepare_payload();
        if (answering_head_) {
            // HEAD: GET's status and headers, its body's length named, the body not sent (RFC 9110 §9.3.2).
            const auto length = message->body().size();
            message->body().clear();
            message->content_length(length);
        }
        status_ = response.status;
        bytes_out_ = message->body().size();
        beast::get_lowest_layer(derived().stream())
            .expires_after(limits_().read_timeout);  // a reader that never reads is cut off
        bhttp::async_write(derived().stream(), *message,
                           [self = derived().shared_from_this(), message, close](beast::error_code ec, std::size_t) {
                               self->on_write(ec, close);
                           });
    }

    void on_write(beast::error_code ec, bool close) {
        finish_request();
        if (ec) return;
        if (close && linger_) return do_linger();
        if (close) return derived().do_close();
        ++requests_;
        // An idle keep-alive connection keeps no body-sized buffer.
        if (buffer_.size() == 0) buffer_.shrink_to_fit();
        do_read_header();
    }

    // Reads and drops what the client is still sending (a body we refused),
    // for a bounded time and amount, then closes.
    void do_linger() {
        beast::get_lowest_layer(derived().stream()).expires_after(std::chrono::seconds(2));
        linger_buffer_.resize(64 * 1024);
        derived().stream().async_read_some(
            net::buffer(linger_buffer_),
            [self = derived().shared_from_this()](beast::error_code ec, std::size_t n) {
                self->lingered_ += n;
                if (ec || self->lingered_ > (16u << 20)) return self->derived().do_close();
                self->do_linger();
            });
    }

    const config::Limits& limits_() const { return config_->limits; }

    void finish_request() {
        if (!request_in_flight_) return;
        request_in_flight_ = false;
        context_.in_flight.fetch_sub(1);
        const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_);
        context_.metrics.count_request(route_, status_, latency);
        if (context_.access_log) log_access(latency);
    }

    // One JSON line per request. Route templates, not targets: an id in a path
    // is opaque, but a query string could carry anything.
    void log_access(std::chrono::microseconds latency) {
        std::string line;
        line.reserve(256);
        const auto now = std::chrono::system_clock::now();
        const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
        line += "{\"time_ms\":" + std::to_string(millis);
        line += ",\"remote\":";
        append_json_string(line, remote_);
        line += ",\"method\":";
        append_json_string(line, request_method_name());
        line += ",\"route\":";
        append_json_string(line, http::to_string(route_));
        line += ",\"status\":" + std::to_string(status_);
        line += ",\"bytes_out\":" + std::to_string(bytes_out_);
        line += ",\"duration_us\":" + std::to_string(latency.count());
        line += ",\"client\":";
        append_json_string(line, screened_.principal.client);
        line += ",\"organisation\":";
        append_json_string(line, screened_.principal.organisation);
        line += ",\"tls\":";
        line += Derived::tls ? "true" : "false";
        line += "}\n";
        // One write(2) per line keeps lines whole when threads log at once.
        [[maybe_unused]] const auto n = ::write(STDOUT_FILENO, line.data(), line.size());
    }

    std::string_view request_method_name() const {
        switch (request_.method) {
            case http::Method::get: return "GET";
            case http::Method::head: return "HEAD";
            case http::Method::post: return "POST";
            case http::Method::put: return "PUT";
            case http::Method::patch: return "PATCH";
            case http::Method::delete_: return "DELETE";
            case http::Method::options: return "OPTIONS";
            case http::Method::other: return "OTHER";
        }
        return "OTHER";
    }

    void remove_upload() {
        if (upload_path_.empty()) return;
        if (file_parser_) file_parser_->get().body().close();
        std::error_code ignored;
        std::filesystem::remove(upload_path_, ignored);
        upload_path_.clear();
    }

    SessionContext& context_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::empty_body>> header_parser_;
    std::optional<bhttp::request_parser<bhttp::string_body>> string_parser_;
    std::optional<bhttp::request_parser<bhttp::basic_file_body<UploadFile>>> file_parser_;
    std::filesystem::path upload_path_;
    http::Request request_;
    api::Screened screened_;
    http::RouteId route_ = http::RouteId::unmatched;
    std::string remote_;
    std::string certificate_subject_;
    Clock::time_point started_;
    unsigned status_ = 0;
    std::size_t bytes_out_ = 0;
    std::size_t requests_ = 0;
    bool keep_alive_ = true;
    bool request_in_flight_ = false;
    bool linger_ = false;
    bool answering_head_ = false;  // this request is a HEAD: the answer goes without its body
    std::size_t lingered_ = 0;
    std::string linger_buffer_;
    std::optional<http::Response> pending_refusal_;
    std::optional<net::steady_timer> body_rate_timer_;  // set while a body is being read
    std::size_t body_received_ = 0;                     // bytes of this body parsed so far
    std::size_t body_declared_ = 0;                     // its Content-Length (0 when chunked)
    bool body_too_slow_ = false;                        // the rate window cut this body
    std::shared_ptr<const config::Config> config_;  // the config this request started under
};

class PlainSession : public Session<PlainSession>, public std::enable_shared_from_this<PlainSession> {
public:
    static constexpr bool tls = false;
    PlainSession(tcp::socket&& socket, SessionContext& context)
        : Session(context), stream_(std::move(socket)) {
        beast::error_code ec;
        const auto endpoint = stream_.socket().remote_endpoint(ec);
        if (!ec) remote_ = endpoint.address().to_string();
    }
    beast::tcp_stream& stream() { return stream_; }
    void run() {
        net::dispatch(stream_.get_executor(), beast::bind_front_handler(&PlainSession::do_read_header, shared_from_this()));
    }
    void do_close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
    // Ends a pending read without closing, so an answer can still be written.
    void cancel_reads() { stream_.socket().cancel(); }

private:
    beast::tcp_stream stream_;
};

class TlsSession : public Session<TlsSession>, public std::enable_shared_from_this<TlsSession> {
public:
    static constexpr bool tls = true;
    TlsSession(tcp::socket&& socket, std::shared_ptr<net::ssl::context> tls, SessionContext& context)
        : Session(context), tls_(std::move(tls)), stream_(std::move(socket), *tls_) {
        beast::error_code ec;
        const auto endpoint = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
        if (!ec) remote_ = endpoint.address().to_string();
    }
    beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }
    void run() {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            beast::get_lowest_layer(self->stream_).expires_after(self->context_.pipeline.config()->limits.read_timeout);
            self->stream_.async_handshake(net::ssl::stream_base::server,
                                          beast::bind_front_handler(&TlsSession::on_handshake, self));
        });
    }
    void on_handshake(beast::error_code ec) {
        if (ec) {
            context_.metrics.count_rejection(http::Rejection::tls_handshake);
            return;
        }
        certificate_subject_ = verified_subject(stream_.native_handle());
        do_read_header();
    }
    void do_close() {
        beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
        stream_.async_shutdown([self = shared_from_this()](beast::error_code) {});
    }
    // Ends a pending read (TLS waits on the socket beneath) so a 408 can still be written.
    void cancel_reads() { beast::get_lowest_layer(stream_).socket().cancel(); }

private:
    // Declared before the stream so it outlives it: the stream's SSL refers to it.
    std::shared_ptr<net::ssl::context> tls_;
    beast::ssl_stream<beast::tcp_stream> stream_;
};

// The test stream with the deadline calls a session makes of its lowest
// layer; an in-memory stream has no clock, so the test decides when it ends.
class DeadlineFreeTestStream {
public:
    using executor_type = beast::test::stream::executor_type;
    explicit DeadlineFreeTestStream(beast::test::stream&& stream) : stream_(std::move(stream)) {}
    executor_type get_executor() { return stream_.get_executor(); }
    void expires_after(Clock::duration) {}
    template <class MutableBuffers, class Handler>
    decltype(auto) async_read_some(const MutableBuffers& buffers, Handler&& handler) {
        return stream_.async_read_some(buffers, std::forward<Handler>(handler));
    }
    template <class ConstBuffers, class Handler>
    decltype(auto) async_write_some(const ConstBuffers& buffers, Handler&& handler) {
        return stream_.async_write_some(buffers, std::forward<Handler>(handler));
    }
    void close() { stream_.close(); }

private:
    beast::test::stream stream_;
};

class TestStreamSession : public Session<TestStreamSession>, public std::enable_shared_from_this<TestStreamSession> {
public:
    static constexpr bool tls = false;
    TestStreamSession(beast::test::stream&& stream, SessionContext& context)
        : Session(context), stream_(std::move(stream)) {
        remote_ = "test-stream";
    }
    DeadlineFreeTestStream& stream() { return stream_; }
    void run() {
        net::dispatch(stream_.get_executor(),
                      beast::bind_front_handler(&TestStreamSession::do_read_header, shared_from_this()));
    }
    void do_close() { stream_.close(); }
    // An in-memory stream cannot cancel a read alone; closing ends it too.
    void cancel_reads() { stream_.close(); }

private:
    DeadlineFreeTestStream stream_;
};

}  // namespace

void start_plain_session(tcp::socket socket, SessionContext& context) {
    std::make_shared<PlainSession>(std::move(socket), context)->run();
}

void start_tls_session(tcp::socket socket, std::shared_ptr<net::ssl::context> tls, SessionContext& context) {
    std::make_shared<TlsSession>(std::move(socket), std::move(tls), context)->run();
}

std::weak_ptr<void> start_test_stream_session(beast::test::stream stream, SessionContext& context) {
    auto session = std::make_shared<TestStreamSession>(std::move(stream), context);
    session->run();
    return session;
}

}  // namespace carebridge::gateway::server
