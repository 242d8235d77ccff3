// The test clients against a tiny Beast echo server on 127.0.0.1 port 0:
// real TCP, real TLS with the test PKI, client certificates required.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <stdlib.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "support/test_client.hpp"
#include "support/test_pki.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
namespace fs = std::filesystem;
using tcp = boost::asio::ip::tcp;
using namespace std::chrono_literals;
using carebridge::testing::ClientTls;
using carebridge::testing::HttpClient;
using carebridge::testing::RawConnection;
using carebridge::testing::ServerAddress;
using carebridge::testing::TestPki;

// Answers each request with its body and what the server saw: method,
// target, the client certificate's subject. A request (or TLS handshake) not
// complete within read_timeout is cut off, like the gateway does to slow clients.
template <class Stream>
class EchoSession : public std::enable_shared_from_this<EchoSession<Stream>> {
public:
    EchoSession(Stream stream, std::chrono::milliseconds read_timeout)
        : stream_(std::move(stream)), read_timeout_(read_timeout) {}

    void start() {
        if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
            read();
        } else {
            beast::get_lowest_layer(stream_).expires_after(read_timeout_);
            stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
                if (ec) return self->close();
                if (X509* peer = SSL_get1_peer_certificate(self->stream_.native_handle())) {
                    self->subject_ = carebridge::testing::rfc2253_subject(peer);
                    X509_free(peer);
                }
                self->read();
            });
        }
    }

private:
    void read() {
        request_ = {};
        beast::get_lowest_layer(stream_).expires_after(read_timeout_);
        http::async_read(stream_, buffer_, request_,
                         [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec) return close();
        response_ = {http::status::ok, request_.version()};
        response_.set("X-Method", request_.method_string());
        response_.set("X-Target", request_.target());
        response_.set("X-Client-Subject", subject_);
        response_.set("X-Host", request_[http::field::host]);
        response_.keep_alive(request_.keep_alive());
        response_.body() = request_.body();
        response_.prepare_payload();
        beast::get_lowest_layer(stream_).expires_after(read_timeout_);
        http::async_write(stream_, response_, [self = this->shared_from_this()](beast::error_code e, std::size_t) {
            if (e || !self->response_.keep_alive()) return self->close();
            self->read();
        });
    }

    void close() {
        beast::error_code ignored;
        beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(stream_).close();
    }

    Stream stream_;
    std::chrono::milliseconds read_timeout_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
    std::string subject_;
};

class EchoServer {
public:
    struct Options {
        bool tls = true;
        bool require_client_cert = true;
        std::chrono::milliseconds read_timeout = 5s;
        std::string host = "127.0.0.1";
    };

    EchoServer(const TestPki& pki, Options options) : options_(options), acceptor_(io_) {
        if (options_.tls) {
            tls_.use_certificate_chain_file(pki.server_cert());
            tls_.use_private_key_file(pki.server_key(), ssl::context::pem);
            tls_.load_verify_file(pki.ca_cert());
            tls_.set_verify_mode(options_.require_client_cert ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert
                                                              : ssl::verify_none);
        }
        const tcp::endpoint endpoint(asio::ip::make_address(options_.host), 0);
        acceptor_.open(endpoint.protocol());
        acceptor_.bind(endpoint);
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        accept();
        thread_ = std::thread([this] { io_.run(); });
    }

    ~EchoServer() {
        io_.stop();
        thread_.join();
    }

    std::uint16_t port() const { return port_; }
    ServerAddress address() const { return {options_.host, port_}; }
    int connections_accepted() const { return accepted_; }

private:
    void accept() {
        acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
            if (ec) return;
            ++accepted_;
            if (options_.tls)
                std::make_shared<EchoSession<beast::ssl_stream<beast::tcp_stream>>>(
                    beast::ssl_stream<beast::tcp_stream>(std::move(socket), tls_), options_.read_timeout)
                    ->start();
            else
                std::make_shared<EchoSession<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)),
                                                                 options_.read_timeout)
                    ->start();
            accept();
        });
    }

    Options options_;
    ssl::context tls_{ssl::context::tls_server};  // outlives the sessions, which io_ owns
    asio::io_context io_;
    tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::atomic<int> accepted_{0};
    std::thread thread_;
};

class TestClientTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "carebridge-client-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        pki_ = std::make_unique<TestPki>(TestPki::create(dir_.string()));
    }
    void TearDown() override { fs::remove_all(dir_); }

    ClientTls as(const std::string& client) const { return carebridge::testing::tls_as(*pki_, client); }

    fs::path dir_;
    std::unique_ptr<TestPki> pki_;
};

TEST_F(TestClientTest, PlainRequestsShareOneKeptAliveConnection) {
    EchoServer server(*pki_, {.tls = false});
    HttpClient client(server.address());
    for (int i = 0; i < 5; ++i) {
        const auto response = client.post("/referrals?n=" + std::to_string(i), "application/json", "{\"n\":1}",
                                          {{"Idempotency-Key", "k" + std::to_string(i)}});
        ASSERT_FALSE(response.error) << response.failed_step << ": " << response.error.message();
        EXPECT_EQ(response.status, 200u);
        EXPECT_EQ(response.body, "{\"n\":1}");
        EXPECT_EQ(response.header("x-method"), "POST");
        EXPECT_EQ(response.header("X-Target"), "/referrals?n=" + std::to_string(i));
        EXPECT_TRUE(response.keep_alive);
    }
    EXPECT_EQ(client.connections_opened(), 1);
    EXPECT_EQ(server.connections_accepted(), 1);
    const auto health = client.get("/healthz");
    EXPECT_EQ(health.header("Content-Length"), "0");
    EXPECT_EQ(health.header("X-Host"), "127.0.0.1:" + std::to_string(server.port()));
}

TEST_F(TestClientTest, AnyMethodAndConnectionClose) {
    EchoServer server(*pki_, {.tls = false});
    HttpClient client(server.address());
    const auto brew = client.request({"BREW", "/pot", {{"Connection", "close"}}, "tea"});
    ASSERT_FALSE(brew.error) << brew.error.message();
    EXPECT_EQ(brew.header("X-Method"), "BREW");
    EXPECT_FALSE(brew.keep_alive);
    EXPECT_FALSE(client.is_open());
    // The next request opens a new connection by itself.
    ASSERT_FALSE(client.get("/").error);
    EXPECT_EQ(client.connections_opened(), 2);
}

TEST_F(TestClientTest, MutualTlsCarriesTheClientSubject) {
    EchoServer server(*pki_, {});
    HttpClient client(server.address(), as("trust"));
    for (int i = 0; i < 3; ++i) {
        const auto response = client.post("/fhir", "application/fhir+json", "{}");
        ASSERT_FALSE(response.error) << response.failed_step << ": " << response.error.message();
        EXPECT_EQ(response.header("X-Client-Subject"), carebridge::testing::trust_subject);
    }
    EXPECT_EQ(client.connections_opened(), 1);
    client.close();
    EXPECT_FALSE(client.is_open());
}

TEST_F(TestClientTest, ServerNameIsCheckedByDnsNameOrIp) {
    EchoServer server(*pki_, {});
    ClientTls by_name = as("council");
    by_name.server_name = "localhost";
    HttpClient named(server.address(), by_name);
    const auto response = named.get("/");
    ASSERT_FALSE(response.error) << response.failed_step << ": " << response.error.message();
    EXPECT_EQ(response.header("X-Client-Subject"), carebridge::testing::council_subject);

    ClientTls wrong_name = as("council");
    wrong_name.server_name = "gateway.example";
    HttpClient misnamed(server.address(), wrong_name);
    const auto refused = misnamed.get("/");
    EXPECT_TRUE(refused.error);
    EXPECT_EQ(refused.failed_step, "handshake");
}

TEST_F(TestClientTest, ServerFromAnotherCaIsRefused) {
    EchoServer server(*pki_, {});
    ClientTls tls = as("trust");
    tls.ca_cert = pki_->other_ca_cert();
    HttpClient client(server.address(), tls);
    const auto response = client.get("/");
    EXPECT_TRUE(response.error);
    EXPECT_EQ(response.failed_step, "handshake");
}

TEST_F(TestClientTest, RefusedClientCertificatesFailWithTheServersReason) {
    EchoServer server(*pki_, {});
    // TLS 1.3: the client's half of the handshake succeeds; the server's alert
    // arrives on the first read, and names the reason.
    const std::pair<const char*, const char*> cases[] = {{"wrong-ca", "unknown ca"}, {"expired", "certificate expired"}};
    for (const auto& [name, reason] : cases) {
        HttpClient client(server.address(), as(name));
        const auto response = client.get("/");
        EXPECT_TRUE(response.error) << name;
        EXPECT_EQ(response.failed_step, "read") << name;
        EXPECT_NE(response.error.message().find(reason), std::string::npos) << name << ": " << response.error.message();
        EXPECT_EQ(response.status, 0u) << name;
    }
    HttpClient anonymous(server.address(), carebridge::testing::tls_as(*pki_));
    const auto response = anonymous.get("/");
    EXPECT_TRUE(response.error);
    EXPECT_NE(response.error.message().find("certificate required"), std::string::npos) << response.error.message();
    // The server still serves a good client after refusing those.
    HttpClient good(server.address(), as("mind"));
    EXPECT_FALSE(good.get("/").error);
}

TEST_F(TestClientTest, Ipv6Loopback) {
    std::unique_ptr<EchoServer> server;
    try {
        server = std::make_unique<EchoServer>(*pki_, EchoServer::Options{.host = "::1"});
    } catch (const boost::system::system_error& e) {
        GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
    }
    HttpClient client(server->address(), as("trust"));
    const auto response = client.get("/");
    ASSERT_FALSE(response.error) << response.failed_step << ": " << response.error.message();
    EXPECT_EQ(response.status, 200u);
    EXPECT_EQ(response.header("X-Host"), "[::1]:" + std::to_string(server->port()));
}

TEST_F(TestClientTest, ASilentServerTimesOutInsteadOfHanging) {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    // The kernel completes the connection from the backlog; nobody ever reads.
    HttpClient client({"127.0.0.1", acceptor.local_endpoint().port()}, std::nullopt, 200ms);
    const auto response = client.get("/");
    EXPECT_EQ(response.error, beast::error::timeout);
    EXPECT_EQ(response.failed_step, "read");
    EXPECT_FALSE(client.is_open());
}

TEST_F(TestClientTest, NothingListeningFailsAtConnect) {
    std::uint16_t port;
    {
        asio::io_context io;
        tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        port = acceptor.local_endpoint().port();
    }
    HttpClient client({"127.0.0.1", port});
    const auto response = client.get("/");
    EXPECT_EQ(response.error, asio::error::connection_refused);
    EXPECT_EQ(response.failed_step, "connect");
}

TEST_F(TestClientTest, RawBytesInAndOut) {
    EchoServer server(*pki_, {.tls = false});
    RawConnection raw(server.address());
    ASSERT_FALSE(raw.connect());
    ASSERT_FALSE(raw.write("GET /raw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    const auto read = raw.read_until_closed(10s);
    EXPECT_TRUE(read.closed_by_peer);
    EXPECT_FALSE(read.timed_out);
    EXPECT_TRUE(read.bytes.starts_with("HTTP/1.1 200 OK\r\n")) << read.bytes;
    EXPECT_NE(read.bytes.find("X-Target: /raw\r\n"), std::string::npos) << read.bytes;
    EXPECT_EQ(raw.received(), read.bytes);
    EXPECT_TRUE(raw.closed_after().has_value());
}

TEST_F(TestClientTest, RawOverTlsReadsAResponse) {
    EchoServer server(*pki_, {});
    RawConnection raw(server.address(), as("trust"));
    ASSERT_FALSE(raw.connect());
    ASSERT_FALSE(raw.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto read = raw.read_at_least(12, 10s);
    EXPECT_TRUE(raw.received().starts_with("HTTP/1.1 200")) << raw.received();
    EXPECT_FALSE(raw.closed_by_peer());  // keep-alive: the server waits for more
}

TEST_F(TestClientTest, SlowWriterIsSeenBeingCutOff) {
    const std::string request = "POST /referrals HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n" +
                                std::string(200, 'x');
    for (const bool tls : {false, true}) {
        EchoServer server(*pki_, {.tls = tls, .read_timeout = 300ms});
        RawConnection raw(server.address(), tls ? std::optional<ClientTls>(as("trust")) : std::nullopt);
        ASSERT_FALSE(raw.connect()) << tls;
        const auto result = raw.write_slowly(request, 30ms);
        EXPECT_TRUE(result.closed_by_peer) << tls;
        EXPECT_LT(result.bytes_written, request.size()) << tls;
        EXPECT_TRUE(raw.closed_by_peer()) << tls;
        EXPECT_TRUE(raw.closed_after().has_value()) << tls;
        EXPECT_EQ(raw.received(), "") << tls;  // cut off without an answer
    }
}

TEST_F(TestClientTest, SlowWriterThatFinishesGetsItsAnswer) {
    EchoServer server(*pki_, {.tls = false});
    RawConnection raw(server.address());
    ASSERT_FALSE(raw.connect());
    const auto result = raw.write_slowly("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 1ms);
    EXPECT_FALSE(result.error) << result.error.message();
    EXPECT_FALSE(result.closed_by_peer);
    EXPECT_TRUE(raw.read_until_closed(10s).closed_by_peer);
    EXPECT_TRUE(raw.received().starts_with("HTTP/1.1 200")) << raw.received();
}

TEST_F(TestClientTest, SilentPlainConnectionToTlsPortIsClosed) {
    EchoServer server(*pki_, {.read_timeout = 200ms});
    RawConnection raw(server.address());  // plain TCP: never starts the handshake
    ASSERT_FALSE(raw.connect());
    const auto read = raw.read_until_closed(10s);
    EXPECT_TRUE(read.closed_by_peer);
    EXPECT_FALSE(read.timed_out);
}

}  // namespace
