#include "api/endpoint_table.hpp"

#include <algorithm>
#include <charconv>

#include "http/target.hpp"

namespace carebridge::gateway::api {

namespace {

enum class Placeholder { none, seq, type, id, org, tail, file, unknown };

Placeholder placeholder_of(std::string_view segment) {
    if (segment.size() < 2 || segment.front() != '{' || segment.back() != '}') return Placeholder::none;
    const std::string_view name = segment.substr(1, segment.size() - 2);
    if (name == "seq") return Placeholder::seq;
    if (name == "type") return Placeholder::type;
    if (name == "id") return Placeholder::id;
    if (name == "org") return Placeholder::org;
    if (name == "tail") return Placeholder::tail;
    if (name == "file") return Placeholder::file;
    return Placeholder::unknown;
}

std::optional<std::uint64_t> positive_number(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0) return std::nullopt;
    return value;
}

bool fits(Placeholder kind, std::string_view value) {
    const auto all = [&](auto ok) { return std::all_of(value.begin(), value.end(), ok); };
    switch (kind) {
        case Placeholder::seq: return positive_number(value).has_value();
        case Placeholder::type:
            return !value.empty() && value.size() <= 64 && value[0] >= 'A' && value[0] <= 'Z' &&
                   all([](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); });
        case Placeholder::id:
            return !value.empty() && value.size() <= 64 &&
                   all([](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'; });
        case Placeholder::org:
            return !value.empty() && value.size() <= 64 && all([](char c) {
                       return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              c == '-' || c == '_' || c == '.';
                   });
        case Placeholder::tail: return !value.empty();
        case Placeholder::file: return true;
        case Placeholder::none:
        case Placeholder::unknown: break;
    }
    return false;
}

std::string_view method_name(http::Method method) {
    switch (method) {
        case http::Method::get: return "GET";
        case http::Method::head: return "HEAD";
        case http::Method::post: return "POST";
        case http::Method::put: return "PUT";
        case http::Method::patch: return "PATCH";
        case http::Method::delete_: return "DELETE";
        case http::Method::options: return "OPTIONS";
        case http::Method::other: break;
    }
    return "";
}

// Empty when `pattern` is well formed.
std::string pattern_error(std::string_view pattern) {
    if (!pattern.starts_with('/')) return "does not start with '/'";
    std::string_view rest = pattern.substr(1);
    for (;;) {
        const auto slash = rest.find('/');
        const std::string_view segment = rest.substr(0, slash);
        const Placeholder kind = placeholder_of(segment);
        if (kind == Placeholder::unknown) return "has an unknown placeholder " + std::string(segment);
        if ((kind == Placeholder::tail || kind == Placeholder::file) && slash != std::string_view::npos)
            return "has " + std::string(segment) + " before its last segment";
        if (segment.empty() && slash != std::string_view::npos) return "has an empty segment";
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    return {};
}

}  // namespace

Access Access::anyone() {
    Access a;
    a.kind_ = Kind::anyone;
    return a;
}

Access Access::roles(std::initializer_list<config::Role> roles) {
    Access a;
    a.kind_ = Kind::roles;
    for (config::Role role : roles) a.roles_.add(role);
    return a;
}

bool Access::admits(const config::Roles& caller) const {
    switch (kind_) {
        case Kind::anyone: return true;
        case Kind::roles: return (caller.bits & roles_.bits) != 0;
        case Kind::undeclared: break;
    }
    return false;  // never reached through a table: create refuses an undeclared endpoint
}

std::string PathParameters::get(std::string_view name) const {
    for (const auto& [n, v] : values_)
        if (n == name) return v;
    return {};
}

std::uint64_t PathParameters::number(std::string_view name) const {
    return positive_number(get(name)).value_or(0);
}

std::string allow_of(const std::vector<http::Method>& methods) {
    std::string allow;
    for (http::Method method : methods) {
        if (!allow.empty()) allow += ", ";
        allow += method_name(method);
        if (method == http::Method::get) allow += ", HEAD";
    }
    return allow;
}

bool path_fits(std::string_view pattern, std::string_view path, PathParameters& parameters) {
    std::size_t p = 0, q = 0;
    PathParameters found;
    while (p < pattern.size()) {
        if (pattern[p] != '/' || q >= path.size() || path[q] != '/') return false;
        ++p;
        ++q;
        const std::size_t pattern_end = std::min(pattern.find('/', p), pattern.size());
        const std::string_view segment = pattern.substr(p, pattern_end - p);
        const Placeholder kind = placeholder_of(segment);
        const bool rest = kind == Placeholder::tail || kind == Placeholder::file;
        const std::size_t path_end = rest ? path.size() : std::min(path.find('/', q), path.size());
        const std::string_view value = path.substr(q, path_end - q);
        if (kind == Placeholder::none) {
            if (value != segment) return false;
        } else {
            if (!fits(kind, value)) return false;
            found.add(segment.substr(1, segment.size() - 2), value);
        }
        p = pattern_end;
        q = path_end;
    }
    if (q != path.size()) return false;
    parameters = std::move(found);
    return true;
}

std::optional<EndpointTable> EndpointTable::create(std::vector<Endpoint> endpoints, std::string& error) {
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
        const Endpoint& e = endpoints[i];
        const std::string name = "endpoint " + (e.pattern.empty() ? "#" + std::to_string(i) : e.pattern);
        if (const std::string bad = pattern_error(e.pattern); !bad.empty()) {
            error = name + ": the pattern " + bad;
            return std::nullopt;
        }
        if (!e.access.declared()) {
            error = name + ": declares no roles (Access::anyone() or Access::roles(...))";
            return std::nullopt;
        }
        if (!e.access.open() && e.access.required().bits == 0) {
            error = name + ": declares an empty set of roles";
            return std::nullopt;
        }
        if (e.methods.empty()) {
            error = name + ": declares no methods";
            return std::nullopt;
        }
        if (!e.handler) {
            error = name + ": has no handler";
            return std::nullopt;
        }
        if (e.route == http::RouteId::unmatched) {
            error = name + ": has no route id for the metrics";
            return std::nullopt;
        }
        if (!e.body_limit || !e.body_timeout) {
            error = name + ": declares no body limit or timeout";
            return std::nullopt;
        }
        for (std::size_t j = 0; j < i; ++j)
            if (endpoints[j].pattern == e.pattern) {
                error = name + ": is declared twice";
                return std::nullopt;
            }
    }
    return EndpointTable(std::move(endpoints));
}

EndpointMatch EndpointTable::match(http::Method method, std::string_view target) const {
    const std::string_view path = http::path_of(target);
    EndpointMatch m;
    for (const Endpoint& e : endpoints_) {
        if (!path_fits(e.pattern, path, m.parameters)) continue;
        m.endpoint = &e;
        m.allow = allow_of(e.methods);
        const http::Method asked = method == http::Method::head ? http::Method::get : method;
        m.method_ok = std::find(e.methods.begin(), e.methods.end(), asked) != e.methods.end();
        return m;
    }
    return m;
}

}  // namespace carebridge::gateway::api
