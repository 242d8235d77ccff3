#include "http/auth.hpp"

#include <cctype>

namespace carebridge::gateway::http {

namespace {

// "Bearer <token>" (scheme case-insensitive, RFC 6750); empty when not a bearer header.
std::string_view bearer_token(std::string_view authorization) {
    constexpr std::string_view scheme = "bearer ";
    if (authorization.size() <= scheme.size()) return {};
    for (std::size_t i = 0; i < scheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return {};
    std::string_view token = authorization.substr(scheme.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    return token;
}

}  // namespace

AuthStatus authenticate(const config::Config& config, const Request& request, Principal& principal) {
    if (!request.caller.certificate_subject.empty()) {
        if (const auto* client = config.client_for_subject(request.caller.certificate_subject)) {
            principal.client = "cert:" + client->subject;
            principal.organisation = client->organisation;
            principal.roles = client->roles;
            principal.rate_per_second = client->rate_per_second;
            principal.burst = client->burst;
            principal.on_unroutable = client->on_unroutable;
            return AuthStatus::ok;
        }
    }
    if (request.authorization.empty())
        return request.caller.certificate_subject.empty() ? AuthStatus::missing : AuthStatus::unknown_certificate;
    const std::string_view token = bearer_token(request.authorization);
    if (token.empty()) return AuthStatus::bad_token;
    bool hashing_failed = false;
    const auto* client = config.client_for_token(token, &hashing_failed);
    if (hashing_failed) return AuthStatus::cannot_check;
    if (!client) return AuthStatus::bad_token;
    principal.client = client->id;
    principal.organisation = client->organisation;
    principal.roles = client->roles;
    principal.rate_per_second = client->rate_per_second;
    principal.burst = client->burst;
    principal.on_unroutable = client->on_unroutable;
    return AuthStatus::ok;
}

}  // namespace carebridge::gateway::http
