#pragma once
// Where and how one recipient's items are pushed: its webhook URL and the
// TLS and authorisation settings from the config (config::Endpoint), as the
// push client needs them. The delivery worker asks for these at each attempt,
// so a reloaded config's certificates and tokens apply to items already queued.

#include <optional>
#include <string>
#include <string_view>

namespace carebridge::gateway::delivery {

struct PushEndpoint {
    std::string url;                      // https://host[:port]/path; http:// only with allow_plain_http
    std::string bearer_token_env;         // environment variable holding the token; empty: no Authorization
    std::string client_certificate_file;  // PEM; with client_key_file, presented to the partner
    std::string client_key_file;
    std::string ca_file;  // PEM the partner's certificate must chain to; empty: the system's trust store
    bool allow_plain_http = false;
};

// A URL taken apart for connecting.
struct PushTarget {
    bool tls = true;
    std::string host;    // a name or an address; IPv6 without its brackets
    std::string port;    // "443" or "80" when the URL gives none
    std::string target;  // path and query, "/" at least
};

// Parses http(s)://host[:port][/path][?query]. nullopt with `error` for any
// other scheme, user information, a fragment, or an empty or bad host or port.
std::optional<PushTarget> parse_push_url(std::string_view url, std::string& error);

}  // namespace carebridge::gateway::delivery
