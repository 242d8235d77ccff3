#include "config/config.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>

namespace carebridge::gateway::config {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// ODS codes and organisation names are ASCII in practice; other bytes compare as they are.
bool same_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

constexpr std::array<Role, 4> all_roles{Role::submitter, Role::partner, Role::auditor, Role::admin};

}  // namespace

std::string_view to_string(OrganisationType type) {
    switch (type) {
    case OrganisationType::trust: return "trust";
    case OrganisationType::council: return "council";
    case OrganisationType::gp: return "gp";
    case OrganisationType::vcse: return "vcse";
    case OrganisationType::icb: return "icb";
    }
    return "unknown";
}

std::string_view to_string(ServiceStatus status) {
    switch (status) {
    case ServiceStatus::open: return "open";
    case ServiceStatus::paused: return "paused";
    case ServiceStatus::closed: return "closed";
    }
    return "unknown";
}

const Service* Organisation::service(std::string_view id_or_name) const {
    for (const Service& s : services)
        if (s.id == id_or_name) return &s;
    for (const Service& s : services)
        if (same_ignoring_case(s.name, id_or_name) || same_ignoring_case(s.id, id_or_name)) return &s;
    return nullptr;
}

const Agreement* Config::agreement(std::string_view id) const {
    for (const Agreement& a : agreements)
        if (a.id == id) return &a;
    return nullptr;
}

const MinimisationProfile* Config::minimisation_profile(std::string_view id) const {
    for (const MinimisationProfile& p : minimisation_profiles)
        if (p.id == id) return &p;
    return nullptr;
}

std::string_view to_string(OnUnroutable on_unroutable) {
    return on_unroutable == OnUnroutable::reject ? "reject" : "triage";
}

std::string_view to_string(Role role) {
    switch (role) {
    case Role::submitter: return "submitter";
    case Role::partner: return "partner";
    case Role::auditor: return "auditor";
    case Role::admin: return "admin";
    }
    return "unknown";
}

std::string to_string(Roles roles) {
    std::string out;
    for (const Role role : all_roles)
        if (roles.has(role)) {
            if (!out.empty()) out += ',';
            out += to_string(role);
        }
    return out;
}

const Organisation* Config::organisation(std::string_view id_ods_or_alias) const {
    for (const Organisation& o : organisations) {
        if (same_ignoring_case(o.id, id_ods_or_alias) || same_ignoring_case(o.ods_code, id_ods_or_alias)) return &o;
        for (const std::string& alias : o.aliases)
            if (same_ignoring_case(alias, id_ods_or_alias)) return &o;
    }
    return nullptr;
}

const ApiClient* Config::client_for_token(std::string_view token, bool* hashing_failed) const {
    const std::string presented = sha256_hex(token);
    // A failed digest is empty: it must match nobody, not a client whose hash is empty too.
    if (presented.size() != 64) {
        if (hashing_failed) *hashing_failed = true;
        return nullptr;
    }
    const ApiClient* found = nullptr;
    // Every client is compared, in constant time each, so neither the time of
    // one comparison nor where the loop stops tells an attacker anything.
    for (const ApiClient& client : clients)
        if (client.token_sha256.size() == presented.size() &&
            CRYPTO_memcmp(client.token_sha256.data(), presented.data(), presented.size()) == 0)
            found = &client;
    return found;
}

const CertificateClient* Config::client_for_subject(std::string_view rfc2253_subject) const {
    for (const CertificateClient& client : certificate_clients)
        if (client.subject == rfc2253_subject) return &client;
    return nullptr;
}

std::string sha256_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    const EVP_MD* sha256 = EVP_sha256();
    if (!sha256 || EVP_Digest(bytes.data(), bytes.size(), digest, &length, sha256, nullptr) != 1 || length != 32)
        return {};
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * length);
    for (unsigned int i = 0; i < length; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0x0f];
    }
    return out;
}

}  // namespace carebridge::gateway::config
