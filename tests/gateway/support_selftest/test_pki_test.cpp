// The test PKI the gateway's TLS tests rely on: what it issues verifies (or is
// refused) the way the server will see it, and subjects print as the server
// prints them.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "support/test_pki.hpp"

namespace {

namespace fs = std::filesystem;
using carebridge::testing::TestPki;

struct X509Free {
    void operator()(X509* p) const { X509_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr load(const std::string& path) {
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "r"), &std::fclose);
    if (!file) return nullptr;
    return X509Ptr(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
}

// 0 when `cert` chains to `ca` for `purpose`, else X509_V_ERR_*.
int verify(const std::string& ca, const std::string& cert, int purpose) {
    std::unique_ptr<X509_STORE, void (*)(X509_STORE*)> store(X509_STORE_new(), &X509_STORE_free);
    if (X509_STORE_load_file(store.get(), ca.c_str()) != 1) return -1;
    const X509Ptr leaf = load(cert);
    if (!leaf) return -1;
    std::unique_ptr<X509_STORE_CTX, void (*)(X509_STORE_CTX*)> ctx(X509_STORE_CTX_new(), &X509_STORE_CTX_free);
    if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr) != 1) return -1;
    X509_STORE_CTX_set_purpose(ctx.get(), purpose);
    if (X509_verify_cert(ctx.get()) == 1) return 0;
    return X509_STORE_CTX_get_error(ctx.get());
}

class TestPkiTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "carebridge-pki-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path dir_;
};

TEST_F(TestPkiTest, WritesEveryFileIntoTheDirectory) {
    const TestPki pki = TestPki::create((dir_ / "pki").string());
    for (const auto& path : {pki.ca_cert(), pki.ca_key(), pki.other_ca_cert(), pki.server_cert(), pki.server_key(),
                             pki.client_cert("trust"), pki.client_key("trust"), pki.client_cert("wrong-ca"),
                             pki.client_cert("expired")}) {
        EXPECT_TRUE(fs::is_regular_file(path)) << path;
        EXPECT_EQ(fs::path(path).parent_path(), dir_ / "pki") << path;
    }
    // Keys are as private as real ones.
    EXPECT_EQ(fs::status(pki.server_key()).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(TestPkiTest, ServerCertificateChainsToTheCaAndNamesLoopback) {
    const TestPki pki = TestPki::create(dir_.string());
    EXPECT_EQ(verify(pki.ca_cert(), pki.server_cert(), X509_PURPOSE_SSL_SERVER), 0);

    const X509Ptr server = load(pki.server_cert());
    ASSERT_TRUE(server);
    EXPECT_EQ(X509_check_host(server.get(), "localhost", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_ip_asc(server.get(), "127.0.0.1", 0), 1);
    EXPECT_EQ(X509_check_ip_asc(server.get(), "::1", 0), 1);
    EXPECT_NE(X509_check_host(server.get(), "gateway.example", 0, 0, nullptr), 1);

    // The key on disk is the certificate's.
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(pki.server_key().c_str(), "r"), &std::fclose);
    ASSERT_TRUE(file);
    std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> key(PEM_read_PrivateKey(file.get(), nullptr, nullptr, nullptr),
                                                       &EVP_PKEY_free);
    ASSERT_TRUE(key);
    EXPECT_EQ(X509_check_private_key(server.get(), key.get()), 1);
}

TEST_F(TestPkiTest, ClientCertificatesFromTheTestCaVerify) {
    const TestPki pki = TestPki::create(dir_.string());
    for (const char* name : {"trust", "council", "mind"})
        EXPECT_EQ(verify(pki.ca_cert(), pki.client_cert(name), X509_PURPOSE_SSL_CLIENT), 0) << name;
    // A client certificate is not a server certificate.
    EXPECT_EQ(verify(pki.ca_cert(), pki.client_cert("trust"), X509_PURPOSE_SSL_SERVER), X509_V_ERR_INVALID_PURPOSE);
}

TEST_F(TestPkiTest, WrongCaAndExpiredCertificatesAreRefused) {
    const TestPki pki = TestPki::create(dir_.string());
    EXPECT_EQ(verify(pki.ca_cert(), pki.client_cert("wrong-ca"), X509_PURPOSE_SSL_CLIENT),
              X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    EXPECT_EQ(verify(pki.ca_cert(), pki.client_cert("expired"), X509_PURPOSE_SSL_CLIENT), X509_V_ERR_CERT_HAS_EXPIRED);
    // The wrong-CA certificate is sound in itself: only the trust is missing.
    EXPECT_EQ(verify(pki.other_ca_cert(), pki.client_cert("wrong-ca"), X509_PURPOSE_SSL_CLIENT), 0);
}

TEST_F(TestPkiTest, SubjectsPrintAsIssued) {
    const TestPki pki = TestPki::create(dir_.string());
    EXPECT_EQ(carebridge::testing::rfc2253_subject(pki.client_cert("trust")), "CN=epr.trust.example,O=Northmoor Trust");
    EXPECT_EQ(carebridge::testing::rfc2253_subject(pki.client_cert("council")), carebridge::testing::council_subject);
    EXPECT_EQ(pki.client_subject("mind"), carebridge::testing::mind_subject);
    // The refused ones impersonate the Trust by subject.
    EXPECT_EQ(carebridge::testing::rfc2253_subject(pki.client_cert("wrong-ca")), carebridge::testing::trust_subject);
    EXPECT_EQ(carebridge::testing::rfc2253_subject(pki.client_cert("expired")), carebridge::testing::trust_subject);
    EXPECT_THROW(pki.client_subject("nobody"), std::runtime_error);
}

TEST_F(TestPkiTest, IssuesMoreClientsWithAnySubject) {
    TestPki pki = TestPki::create(dir_.string());
    const std::string subject = "CN=ops.befriend.example,OU=Referrals,O=Befriending Northmoor\\, CIC,C=GB";
    pki.issue_client("befriend", subject);
    EXPECT_EQ(carebridge::testing::rfc2253_subject(pki.client_cert("befriend")), subject);
    EXPECT_EQ(verify(pki.ca_cert(), pki.client_cert("befriend"), X509_PURPOSE_SSL_CLIENT), 0);

    pki.issue_client("stranger", "CN=x.example", carebridge::testing::Issuer::other_ca);
    EXPECT_EQ(verify(pki.other_ca_cert(), pki.client_cert("stranger"), X509_PURPOSE_SSL_CLIENT), 0);
    EXPECT_NE(verify(pki.ca_cert(), pki.client_cert("stranger"), X509_PURPOSE_SSL_CLIENT), 0);
}

TEST_F(TestPkiTest, EachCreateMakesANewCa) {
    const TestPki first = TestPki::create((dir_ / "a").string());
    const TestPki second = TestPki::create((dir_ / "b").string());
    EXPECT_NE(verify(first.ca_cert(), second.client_cert("trust"), X509_PURPOSE_SSL_CLIENT), 0);
}

}  // namespace
