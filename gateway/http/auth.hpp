#pragma once
// Who is calling: a verified client certificate whose subject the config maps
// to an organisation (mutual TLS), or a bearer token whose SHA-256 the config
// holds. The result names the organisation and roles every later stage uses.

#include <string>
#include <string_view>

#include "config/config.hpp"
#include "http/exchange.hpp"

namespace carebridge::gateway::http {

struct Principal {
    std::string client;        // API client id, or "cert:<subject>"
    std::string organisation;  // config organisation id
    config::Roles roles;
    double rate_per_second = 0;  // this client's limit; 0: the config default
    double burst = 0;
    // What its unroutable referrals become (config::OnUnroutable): triaged unless it asked for 422.
    config::OnUnroutable on_unroutable = config::OnUnroutable::triage;
};

enum class AuthStatus {
    ok,                   // `principal` is filled
    missing,              // no credentials at all: 401 with WWW-Authenticate
    bad_token,            // a token no client holds, or a malformed Authorization header: 401
    unknown_certificate,  // a verified certificate the config maps to nobody, and no token: 401
    cannot_check,         // the token could not be hashed (OpenSSL failed): 503, never let through
};

AuthStatus authenticate(const config::Config& config, const Request& request, Principal& principal);

}  // namespace carebridge::gateway::http
