// A renewed TLS certificate is served without a restart: the certificate and
// key files are replaced, the gateway reloads (reload() in process, SIGHUP to
// the real binary), and the next real TLS handshake presents the new
// certificate while connections made before it keep working. A certificate
// and key that do not belong together are refused and the old pair stays.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>

#include <boost/asio/connect.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "support/gateway_fixture.hpp"
#include "support/serve_process.hpp"

namespace carebridge::testing {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

// A failure guard, not a claim about speed.
constexpr auto line_guard = 20s;

std::string hex(const unsigned char* bytes, unsigned size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < size; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 15];
    }
    return out;
}

std::string fingerprint(const X509* cert) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned size = 0;
    if (!cert || X509_digest(cert, EVP_sha256(), digest, &size) != 1) return {};
    return hex(digest, size);
}

// SHA-256 over the first certificate in a PEM file.
std::string file_fingerprint(const std::string& path) {
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "r"), &std::fclose);
    if (!file) return {};
    std::unique_ptr<X509, void (*)(X509*)> cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr), &X509_free);
    return fingerprint(cert.get());
}

// A fresh TCP connection and TLS handshake, checking the server against
// `ca_cert`; the fingerprint of the certificate it presented, or "" when the
// handshake failed.
std::string presented_certificate(const ServerAddress& server, const std::string& ca_cert) {
    net::io_context io;
    net::ssl::context context(net::ssl::context::tls_client);
    boost::system::error_code ec;
    context.load_verify_file(ca_cert, ec);
    if (ec) return {};
    context.set_verify_mode(net::ssl::verify_peer);
    net::ssl::stream<net::ip::tcp::socket> stream(io, context);
    stream.lowest_layer().connect({net::ip::make_address(server.host), server.port}, ec);
    if (!ec) stream.handshake(net::ssl::stream_base::client, ec);
    if (ec) return {};
    std::unique_ptr<X509, void (*)(X509*)> cert(SSL_get1_peer_certificate(stream.native_handle()), &X509_free);
    const std::string result = fingerprint(cert.get());
    stream.shutdown(ec);
    return result;
}

// Written beside the target and renamed over it, as certbot and friends do,
// so the gateway never reads half a file.
void replace_file(const std::string& target, const std::string& source) {
    const std::string temporary = target + ".new";
    std::filesystem::copy_file(source, temporary, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(temporary, target);
}

ClientTls trusting(const std::string& ca_cert) {
    ClientTls tls;
    tls.ca_cert = ca_cert;
    return tls;
}

class TlsReloadTest : public ::testing::Test {
protected:
    TempDir temp;
};

TEST_F(TlsReloadTest, ReloadServesTheRenewedCertificateToNewHandshakesAndKeepsOldConnections) {
    RunningGateway gw(temp.path() / "gateway");
    ASSERT_TRUE(gw.server);
    const std::string old_print = file_fingerprint(gw.pki->server_cert());
    ASSERT_FALSE(old_print.empty());
    ASSERT_EQ(presented_certificate(gw.address(), gw.pki->ca_cert()), old_print);

    // A connection made under the old certificate, kept alive across the reload.
    HttpClient kept = gw.client();
    ASSERT_EQ(kept.get("/healthz").status, 200u);

    // The renewal: another CA's certificate and key over the same files.
    const TestPki renewed = TestPki::create((temp.path() / "renewed").string());
    const std::string new_print = file_fingerprint(renewed.server_cert());
    ASSERT_NE(new_print, old_print);
    replace_file(gw.pki->server_cert(), renewed.server_cert());
    replace_file(gw.pki->server_key(), renewed.server_key());
    EXPECT_EQ(presented_certificate(gw.address(), gw.pki->ca_cert()), old_print)
        << "the files alone change nothing until the reload";

    std::string error;
    ASSERT_TRUE(gw.server->reload(error)) << error;
    EXPECT_EQ(presented_certificate(gw.address(), renewed.ca_cert()), new_print);
    EXPECT_EQ(presented_certificate(gw.address(), gw.pki->ca_cert()), "")
        << "a client that trusts only the old CA no longer completes a handshake";
    HttpClient fresh(gw.address(), trusting(renewed.ca_cert()));
    const auto answered = fresh.get("/readyz");
    ASSERT_FALSE(answered.error) << answered.failed_step << ": " << answered.error.message();
    EXPECT_EQ(answered.status, 200u);

    const auto still = kept.get("/healthz");
    ASSERT_FALSE(still.error) << still.failed_step << ": " << still.error.message();
    EXPECT_EQ(still.status, 200u);
    EXPECT_EQ(kept.connections_opened(), 1) << "the connection made before the reload carried on";
    kept.close();
    fresh.close();
    EXPECT_EQ(gw.stop(), 0);
}

TEST_F(TlsReloadTest, ACertificateWithAKeyNotItsOwnIsRefusedAndTheOldPairStays) {
    RunningGateway gw(temp.path() / "gateway");
    ASSERT_TRUE(gw.server);
    const std::string old_print = file_fingerprint(gw.pki->server_cert());
    const TestPki renewed = TestPki::create((temp.path() / "renewed").string());
    replace_file(gw.pki->server_cert(), renewed.server_cert());  // the key is still the old one

    std::string error;
    EXPECT_FALSE(gw.server->reload(error));
    EXPECT_NE(error.find("listener.tls.private_key"), std::string::npos) << error;
    EXPECT_EQ(presented_certificate(gw.address(), gw.pki->ca_cert()), old_print);
    EXPECT_EQ(gw.client().get("/healthz").status, 200u);
    EXPECT_EQ(gw.stop(), 0);
}

TEST_F(TlsReloadTest, SighupToTheBinaryReadsTheCertificateAgain) {
    const TestPki pki = TestPki::create((temp.path() / "pki").string());
    const auto config_file = temp.path() / "gateway.json";
    const auto data_dir = temp.path() / "data";
    std::ofstream(config_file, std::ios::binary) << gateway_config_text(pki, data_dir.string(), GatewayLimits{});
    ServeProcess g(config_file, data_dir, temp.path() / "logs");
    std::string error;
    ASSERT_TRUE(g.start(error, "tls-reload")) << error;
    HttpClient kept(g.address(), trusting(pki.ca_cert()));
    ASSERT_EQ(kept.get("/healthz").status, 200u);

    const TestPki renewed = TestPki::create((temp.path() / "renewed").string());
    replace_file(pki.server_cert(), renewed.server_cert());
    replace_file(pki.server_key(), renewed.server_key());
    ASSERT_TRUE(g.process.signal(SIGHUP));
    ASSERT_TRUE(g.process.wait_for_line("carebridge: config reloaded", line_guard)) << g.process.stderr_text();
    EXPECT_NE(g.process.stderr_text().find("carebridge: TLS certificate " + pki.server_cert() + " and its key read again"),
              std::string::npos)
        << g.process.stderr_text();
    EXPECT_EQ(presented_certificate(g.address(), renewed.ca_cert()), file_fingerprint(renewed.server_cert()));
    EXPECT_EQ(kept.get("/healthz").status, 200u);
    EXPECT_EQ(kept.connections_opened(), 1);
    kept.close();

    ASSERT_TRUE(g.process.signal(SIGTERM));
    const auto status = g.process.wait_for_exit(30s);
    ASSERT_TRUE(status) << g.process.stderr_text();
    EXPECT_TRUE(status->exited_with(0)) << g.process.stderr_text();
}

}  // namespace
}  // namespace carebridge::testing
