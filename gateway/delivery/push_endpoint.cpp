#include "delivery/push_endpoint.hpp"

#include <charconv>

namespace carebridge::gateway::delivery {

std::optional<PushTarget> parse_push_url(std::string_view url, std::string& error) {
    PushTarget target;
    std::string_view rest;
    if (url.starts_with("https://")) {
        rest = url.substr(8);
    } else if (url.starts_with("http://")) {
        target.tls = false;
        rest = url.substr(7);
    } else {
        error = "the endpoint URL is not http:// or https://";
        return std::nullopt;
    }
    if (rest.find('#') != std::string_view::npos) {
        error = "the endpoint URL has a fragment";
        return std::nullopt;
    }
    const auto path_start = rest.find_first_of("/?");
    const std::string_view authority = rest.substr(0, path_start);
    target.target = path_start == std::string_view::npos ? std::string("/") : std::string(rest.substr(path_start));
    if (target.target.front() == '?') target.target.insert(0, "/");
    if (authority.find('@') != std::string_view::npos) {
        error = "the endpoint URL carries user information; use bearer_token_env";
        return std::nullopt;
    }

    std::string_view host = authority;
    std::string_view port;
    if (authority.starts_with('[')) {  // an IPv6 address
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            error = "the endpoint URL's IPv6 address has no closing ]";
            return std::nullopt;
        }
        host = authority.substr(1, close - 1);
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                error = "the endpoint URL's host is malformed";
                return std::nullopt;
            }
            port = after.substr(1);
        }
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty()) {
        error = "the endpoint URL has no host";
        return std::nullopt;
    }
    if (!port.empty() || authority.ends_with(':')) {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
            error = "the endpoint URL's port is not 1..65535";
            return std::nullopt;
        }
        target.port = std::string(port);
    } else {
        target.port = target.tls ? "443" : "80";
    }
    target.host = std::string(host);
    return target;
}

}  // namespace carebridge::gateway::delivery
