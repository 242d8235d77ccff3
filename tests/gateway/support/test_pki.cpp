#include "support/test_pki.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace carebridge::testing {
namespace {

struct X509Free {
    void operator()(X509* p) const { X509_free(p); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct NameFree {
    void operator()(X509_NAME* p) const { X509_NAME_free(p); }
};
struct BioFree {
    void operator()(BIO* p) const { BIO_free_all(p); }
};
struct BignumFree {
    void operator()(BIGNUM* p) const { BN_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using NamePtr = std::unique_ptr<X509_NAME, NameFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using BignumPtr = std::unique_ptr<BIGNUM, BignumFree>;

// Throws with OpenSSL's queued reason, so a setup failure says why.
[[noreturn]] void fail(const std::string& what) {
    std::string reason;
    while (const unsigned long code = ERR_get_error()) {
        char text[256];
        ERR_error_string_n(code, text, sizeof text);
        reason += reason.empty() ? ": " : "; ";
        reason += text;
    }
    throw std::runtime_error("test PKI: " + what + reason);
}

PkeyPtr make_key() {
    PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) fail("EC P-256 key generation");
    return key;
}

// Splits an RFC 2253 subject ("CN=a,O=b\, c") into its attribute-value pairs.
std::vector<std::pair<std::string, std::string>> parse_subject(std::string_view subject) {
    std::vector<std::pair<std::string, std::string>> parts;
    std::string current;
    std::vector<std::string> rdns;
    for (std::size_t i = 0; i < subject.size(); ++i) {
        if (subject[i] == '\\' && i + 1 < subject.size()) {
            current += subject[++i];
        } else if (subject[i] == ',') {
            rdns.push_back(std::move(current));
            current.clear();
        } else {
            current += subject[i];
        }
    }
    rdns.push_back(std::move(current));
    for (const auto& rdn : rdns) {
        const auto eq = rdn.find('=');
        if (eq == std::string::npos || eq == 0) fail("subject part without KEY=VALUE: " + rdn);
        parts.emplace_back(rdn.substr(0, eq), rdn.substr(eq + 1));
    }
    return parts;
}

// RFC 2253 writes the most specific attribute first, the reverse of the
// DER order, so the parts are added last to first to print back unchanged.
NamePtr make_name(std::string_view subject) {
    NamePtr name(X509_NAME_new());
    if (!name) fail("X509_NAME_new");
    const auto parts = parse_subject(subject);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        const auto& [key, value] = *it;
        if (X509_NAME_add_entry_by_txt(name.get(), key.c_str(), MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), -1, 0) != 1)
            fail("subject attribute " + key);
    }
    return name;
}

void add_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
    if (!ext) fail(std::string("extension ") + OBJ_nid2sn(nid) + "=" + value);
    const int added = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    if (added != 1) fail(std::string("adding extension ") + OBJ_nid2sn(nid));
}

enum class Role { ca, server, client };

struct Signer {
    X509* cert = nullptr;  // null: self-signed
    EVP_PKEY* key = nullptr;
};

X509Ptr make_certificate(std::string_view subject, EVP_PKEY* key, Role role, Signer signer, Validity validity) {
    X509Ptr cert(X509_new());
    if (!cert) fail("X509_new");
    if (X509_set_version(cert.get(), X509_VERSION_3) != 1) fail("version");

    // A random serial: two certificates from one CA must never share one.
    BignumPtr serial(BN_new());
    if (!serial || BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
        fail("serial number");

    if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), static_cast<long>(validity.not_before.count())) ||
        !X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(validity.not_after.count())))
        fail("validity");

    const NamePtr name = make_name(subject);
    if (X509_set_subject_name(cert.get(), name.get()) != 1) fail("subject");
    X509* issuer = signer.cert ? signer.cert : cert.get();
    if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) != 1) fail("issuer");
    if (X509_set_pubkey(cert.get(), key) != 1) fail("public key");

    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert.get(), nullptr, nullptr, 0);
    add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
    add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
    switch (role) {
        case Role::ca:
            add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE");
            add_extension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
            break;
        case Role::server:
            add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
            add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
            add_extension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth");
            add_extension(cert.get(), &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
            break;
        case Role::client:
            add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
            add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
            add_extension(cert.get(), &ctx, NID_ext_key_usage, "clientAuth");
            break;
    }

    if (X509_sign(cert.get(), signer.key ? signer.key : key, EVP_sha256()) <= 0) fail("signing");
    return cert;
}

void write_cert(const std::string& path, X509* cert) {
    BioPtr bio(BIO_new_file(path.c_str(), "w"));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) fail("writing " + path);
}

// Keys are written 0600 like real ones, in case the server checks.
void write_key(const std::string& path, EVP_PKEY* key) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) fail("opening " + path);
    BioPtr bio(BIO_new_fd(fd, BIO_CLOSE));
    if (!bio) {
        ::close(fd);
        fail("BIO for " + path);
    }
    if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        fail("writing " + path);
}

X509Ptr read_cert(const std::string& path) {
    BioPtr bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) fail("opening " + path);
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) fail("reading " + path);
    return cert;
}

PkeyPtr read_key(const std::string& path) {
    BioPtr bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) fail("opening " + path);
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) fail("reading " + path);
    return key;
}

std::string in_dir(const std::string& dir, std::string_view file) {
    return (std::filesystem::path(dir) / file).string();
}

void make_ca(const std::string& dir, std::string_view stem, std::string_view subject) {
    const PkeyPtr key = make_key();
    const X509Ptr cert = make_certificate(subject, key.get(), Role::ca, {}, Validity{});
    write_cert(in_dir(dir, std::string(stem) + ".pem"), cert.get());
    write_key(in_dir(dir, std::string(stem) + ".key"), key.get());
}

}  // namespace

Validity expired_validity() {
    return Validity{-std::chrono::hours(24 * 30), -std::chrono::hours(24)};
}

TestPki TestPki::create(std::string dir) {
    std::filesystem::create_directories(dir);
    TestPki pki(std::move(dir));
    make_ca(pki.dir_, "ca", "CN=Carebridge Test CA,O=Carebridge Tests");
    make_ca(pki.dir_, "other-ca", "CN=Stranger Test CA,O=Elsewhere");

    const X509Ptr ca = read_cert(pki.ca_cert());
    const PkeyPtr ca_key = read_key(pki.ca_key());
    const PkeyPtr server_key = make_key();
    const X509Ptr server =
        make_certificate("CN=localhost,O=Carebridge Tests", server_key.get(), Role::server, {ca.get(), ca_key.get()},
                         Validity{});
    write_cert(pki.server_cert(), server.get());
    write_key(pki.server_key(), server_key.get());

    pki.issue_client("trust", trust_subject);
    pki.issue_client("council", council_subject);
    pki.issue_client("mind", mind_subject);
    pki.issue_client("wrong-ca", trust_subject, Issuer::other_ca);
    pki.issue_client("expired", trust_subject, Issuer::test_ca, expired_validity());
    return pki;
}

std::string TestPki::ca_cert() const { return in_dir(dir_, "ca.pem"); }
std::string TestPki::ca_key() const { return in_dir(dir_, "ca.key"); }
std::string TestPki::other_ca_cert() const { return in_dir(dir_, "other-ca.pem"); }
std::string TestPki::server_cert() const { return in_dir(dir_, "server.pem"); }
std::string TestPki::server_key() const { return in_dir(dir_, "server.key"); }

std::string TestPki::client_cert(std::string_view name) const {
    return in_dir(dir_, "client-" + std::string(name) + ".pem");
}

std::string TestPki::client_key(std::string_view name) const {
    return in_dir(dir_, "client-" + std::string(name) + ".key");
}

const std::string& TestPki::client_subject(std::string_view name) const {
    const auto it = client_subjects_.find(name);
    if (it == client_subjects_.end()) throw std::runtime_error("test PKI: no client named " + std::string(name));
    return it->second;
}

void TestPki::issue_client(std::string name, std::string_view subject, Issuer issuer, Validity validity) {
    const std::string stem = issuer == Issuer::test_ca ? "ca" : "other-ca";
    const X509Ptr ca = read_cert(in_dir(dir_, stem + ".pem"));
    const PkeyPtr ca_key = read_key(in_dir(dir_, stem + ".key"));
    const PkeyPtr key = make_key();
    const X509Ptr cert = make_certificate(subject, key.get(), Role::client, {ca.get(), ca_key.get()}, validity);
    write_cert(client_cert(name), cert.get());
    write_key(client_key(name), key.get());
    client_subjects_[std::move(name)] = std::string(subject);
}

std::string rfc2253_subject(const X509* cert) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0)
        fail("printing a subject");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

std::string rfc2253_subject(const std::string& cert_path) {
    const X509Ptr cert = read_cert(cert_path);
    return rfc2253_subject(cert.get());
}

}  // namespace carebridge::testing
