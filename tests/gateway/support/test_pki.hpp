#pragma once
// Certificates for the gateway's TLS tests, made fresh at test time so no key
// is ever committed and none can expire under the suite. Everything is EC
// P-256: it is what every TLS stack accepts for certificates (Ed25519 is not).
//
// TestPki::create(dir) writes into dir:
//   ca.pem / ca.key              the test CA that the gateway trusts
//   other-ca.pem / other-ca.key  a second CA that nothing trusts
//   server.pem / server.key      signed by the test CA, subjectAltName
//                                DNS:localhost, IP:127.0.0.1, IP:::1
//   client-NAME.pem / .key       one pair per client below
//
// Clients made by create():
//   trust       trust_subject,    signed by the test CA
//   council     council_subject,  signed by the test CA
//   mind        mind_subject,     signed by the test CA
//   wrong-ca    trust_subject,    signed by the *other* CA (must be refused)
//   expired     trust_subject,    signed by the test CA, validity ended yesterday
// The refused ones carry the Trust's subject on purpose: a server that maps the
// subject without checking the chain or the dates would accept them as the Trust.
//
// Setup failures throw std::runtime_error (with OpenSSL's reason): this is test
// fixture code, and gtest reports an exception as a failed test.

#include <openssl/types.h>

#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace carebridge::testing {

// Subjects in RFC 2253 order, exactly as the server prints them (see
// rfc2253_subject), so a test config can map them to organisations verbatim.
inline constexpr std::string_view trust_subject = "CN=epr.trust.example,O=Northmoor Trust";
inline constexpr std::string_view council_subject = "CN=care.council.example,O=Northmoor Council";
inline constexpr std::string_view mind_subject = "CN=inbox.mind.example,O=Northmoor Mind";

// Which CA signs a client certificate.
enum class Issuer {
    test_ca,   // trusted by the gateway under test
    other_ca,  // a stranger: its certificates must be refused
};

// A certificate's validity window relative to now.
struct Validity {
    std::chrono::seconds not_before = -std::chrono::hours(1);  // a little slack for clock skew
    std::chrono::seconds not_after = std::chrono::hours(24 * 7);
};

// Validity that ended a day ago.
Validity expired_validity();

class TestPki {
public:
    // Creates dir (and parents) if missing and writes the files above into it.
    static TestPki create(std::string dir);

    const std::string& dir() const { return dir_; }
    std::string ca_cert() const;
    std::string ca_key() const;
    std::string other_ca_cert() const;
    std::string server_cert() const;
    std::string server_key() const;
    std::string client_cert(std::string_view name) const;
    std::string client_key(std::string_view name) const;
    // The subject the client was issued with (RFC 2253 order); throws for an unknown name.
    const std::string& client_subject(std::string_view name) const;

    // Issues one more client certificate, written as client-NAME.pem / .key.
    // `subject` is in RFC 2253 order ("CN=...,O=..."); `\,` escapes a comma.
    void issue_client(std::string name, std::string_view subject, Issuer issuer = Issuer::test_ca,
                      Validity validity = {});

private:
    explicit TestPki(std::string dir) : dir_(std::move(dir)) {}

    std::string dir_;
    std::map<std::string, std::string, std::less<>> client_subjects_;
};

// The certificate's subject as X509_NAME_print_ex(..., XN_FLAG_RFC2253) prints
// it, which is what the server maps to an organisation. Throws if the file
// cannot be read.
std::string rfc2253_subject(const std::string& cert_path);
std::string rfc2253_subject(const X509* cert);

}  // namespace carebridge::testing
