#pragma once
// Clients for the gateway's tests, plain or TLS, synchronous for the test's
// sake and with a timeout on every operation, so a broken server fails the test
// instead of hanging it. Errors come back as error_code, never as exceptions.
//
//   HttpClient     HTTP/1.1 over one kept-alive connection, many requests.
//   RawConnection  bytes on the wire, for abuse tests: write slowly, see when
//                  the server hangs up, read whatever it sent.
//
// Both run their own io_context on the calling thread; use one per thread.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/test_pki.hpp"

namespace carebridge::testing {

using error_code = boost::system::error_code;

// How to speak TLS to the server.
struct ClientTls {
    std::string ca_cert;      // the server must chain to this CA (TestPki::ca_cert())
    std::string client_cert;  // empty: present no client certificate
    std::string client_key;
    // Checked against the server certificate; also sent as SNI when it is a
    // name. Empty: the host connected to (so 127.0.0.1 checks IP:127.0.0.1).
    std::string server_name;
    bool verify_server = true;  // false only to reach a server whose name does not match
};

// TLS as the PKI's client `client` (its certificate and key), trusting the
// test CA; no client certificate when `client` is empty.
ClientTls tls_as(const TestPki& pki, std::string_view client = {});

// Where to connect; port 0 is never valid here (ask the server which it bound).
struct ServerAddress {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
};

struct Request {
    std::string method = "GET";  // any token, so tests can send methods the server does not know
    std::string target = "/";
    std::vector<std::pair<std::string, std::string>> headers;  // sent in order, duplicates too; Host added if absent
    std::string body;  // Content-Length set unless headers give it or Transfer-Encoding
};

struct Response {
    error_code error;           // set: no (complete) response; the fields below are empty
    // With error: "resolve", "tls-setup", "connect", "handshake", "write" or "read".
    // Under TLS 1.3 a refused client certificate fails "read", not
    // "handshake": the client finishes its half before the server checks it.
    std::string failed_step;
    unsigned status = 0;
    boost::beast::http::fields headers;
    std::string body;
    bool keep_alive = false;    // the server will keep the connection open

    // A header's value, or "" when absent (names are case-insensitive).
    std::string header(std::string_view name) const;
};

class HttpClient {
public:
    HttpClient(ServerAddress server, std::optional<ClientTls> tls = std::nullopt,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Opens the connection (and does the TLS handshake) now; request() calls it
    // when none is open. Returns the error; failed_step() says where.
    error_code connect();

    // Sends one request on the open connection, connecting first if needed,
    // and reads the whole response. A server that answers "Connection: close"
    // or fails is disconnected, so the next request opens a new connection;
    // an error is never retried, so a test sees each one.
    Response request(const Request& request);
    Response get(std::string target, std::vector<std::pair<std::string, std::string>> headers = {});
    Response post(std::string target, std::string content_type, std::string body,
                  std::vector<std::pair<std::string, std::string>> headers = {});

    // Closes the connection (TLS close_notify first, briefly).
    void close();
    bool is_open() const;
    // Connections opened so far: 1 after many requests means keep-alive held.
    int connections_opened() const { return connections_opened_; }
    const std::string& failed_step() const { return failed_step_; }
    // The response size limit; raise it for large exports.
    void set_body_limit(std::uint64_t bytes) { body_limit_ = bytes; }

private:
    using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
    boost::beast::tcp_stream& tcp();
    void drop();

    ServerAddress server_;
    std::optional<ClientTls> tls_;
    std::chrono::milliseconds timeout_;
    std::uint64_t body_limit_ = 64u * 1024 * 1024;
    boost::asio::io_context io_;
    std::unique_ptr<boost::asio::ssl::context> ssl_context_;
    std::unique_ptr<boost::beast::tcp_stream> plain_;
    std::unique_ptr<TlsStream> tls_stream_;
    int connections_opened_ = 0;
    std::string failed_step_;
};

// What a slow write saw.
struct SlowWrite {
    error_code error;               // the write that failed, if one did
    std::size_t bytes_written = 0;  // accepted by the kernel before the end or the close
    bool closed_by_peer = false;    // the server hung up before all bytes were written
};

// What a read saw.
struct RawRead {
    std::string bytes;            // received during this call
    bool closed_by_peer = false;  // the connection is closed (now or before)
    bool timed_out = false;       // the deadline passed with the connection still open
};

class RawConnection {
public:
    explicit RawConnection(ServerAddress server, std::optional<ClientTls> tls = std::nullopt);
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    // TCP connect, and the TLS handshake when tls was given, within `timeout`.
    error_code connect(std::chrono::milliseconds timeout = std::chrono::seconds(10));

    // Writes all of `bytes` within `timeout`.
    error_code write(std::string_view bytes, std::chrono::milliseconds timeout = std::chrono::seconds(10));

    // Writes `bytes` one at a time with `gap` between them (each its own TLS
    // record under TLS), watching for the server hanging up meanwhile; stops at
    // the close. Whatever the server sends back is kept (see received()).
    SlowWrite write_slowly(std::string_view bytes, std::chrono::milliseconds gap);

    // Waits up to `timeout` for the server to close the connection, keeping
    // what it sends on the way. Returns at once if it is already closed.
    RawRead read_until_closed(std::chrono::milliseconds timeout);
    // Waits up to `timeout` for `count` bytes in total since connect (or the close).
    RawRead read_at_least(std::size_t count, std::chrono::milliseconds timeout);

    // Every byte received since connect.
    const std::string& received() const { return received_; }
    bool closed_by_peer() const { return closed_; }
    // How long after connect the close was seen; empty while it is open.
    std::optional<std::chrono::milliseconds> closed_after() const;
    // What ended the connection: eof, reset, or the TLS layer's error.
    error_code close_reason() const { return close_reason_; }

    // Closes our side without ceremony (no TLS close_notify).
    void close();

private:
    using Clock = std::chrono::steady_clock;
    void start_reading();
    // Runs handlers until `done()` holds or `deadline` passes; false on deadline.
    template <class Done>
    bool run_until(Done done, Clock::time_point deadline);
    error_code write_all(std::string_view bytes, Clock::time_point deadline);

    ServerAddress server_;
    std::optional<ClientTls> tls_;
    boost::asio::io_context io_;
    std::unique_ptr<boost::asio::ssl::context> ssl_context_;
    std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> stream_;
    char read_buffer_[4096];
    bool reading_ = false;
    bool closed_ = false;
    error_code close_reason_;
    std::string received_;
    Clock::time_point connected_at_{};
    Clock::time_point closed_at_{};
};

}  // namespace carebridge::testing
