#pragma once
// Every endpoint the gateway serves, declared once: its path pattern, the
// methods it takes, who may call it, how large a body it reads and for how
// long, and the handler. The pipeline's screen matches a request against
// this table and nothing else, so a route cannot be reached by a path the
// table does not name, nor by a role it does not declare.
//
// A path pattern is literal segments and placeholders, e.g.
// /audit/events/{seq}. A placeholder's name says what it takes:
//
//   {seq}   a positive decimal number (an audit entry)
//   {type}  a FHIR resource type: letters, upper-case first
//   {id}    a message or item id: lower-case hex and '-'
//   {org}   an organisation's id or code: letters, digits, - _ .
//   {tail}  the rest of the path, non-empty, '/' included (last only)
//   {file}  the rest of the path, possibly empty (last only)
//
// A path whose placeholder does not fit matches no endpoint (404).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "http/auth.hpp"
#include "http/exchange.hpp"
#include "http/metrics.hpp"

namespace carebridge::gateway::api {

// Who may call an endpoint. There is no default: an endpoint left
// `undeclared` makes EndpointTable::create fail, so the gateway does not start.
class Access {
public:
    Access() = default;
    // Probes, metrics and static pages: no patient data, and a load balancer must reach them.
    static Access anyone();
    // A caller holding any one of `roles`.
    static Access roles(std::initializer_list<config::Role> roles);

    bool declared() const { return kind_ != Kind::undeclared; }
    bool open() const { return kind_ == Kind::anyone; }
    bool admits(const config::Roles& caller) const;
    config::Roles required() const { return roles_; }

private:
    enum class Kind { undeclared, anyone, roles };
    Kind kind_ = Kind::undeclared;
    config::Roles roles_;
};

// The placeholders a path filled, by name.
class PathParameters {
public:
    void add(std::string_view name, std::string_view value) { values_.emplace_back(name, value); }
    // Empty when absent.
    std::string get(std::string_view name) const;
    // {seq}: its number; 0 when absent.
    std::uint64_t number(std::string_view name) const;
    bool empty() const { return values_.empty(); }
    const std::string& first() const { return values_.front().second; }

private:
    std::vector<std::pair<std::string, std::string>> values_;
};

struct Endpoint;

// What screening learned about a request, for handling its body.
struct Screened {
    http::RouteId route = http::RouteId::unmatched;
    const Endpoint* endpoint = nullptr;  // null until matched
    http::Principal principal;
    PathParameters parameters;
    std::string parameter;                         // the first placeholder's value ({type} or {id})
    std::size_t body_limit = 0;                    // bytes the session may read
    std::chrono::milliseconds body_timeout{0};     // the session's time to read the body, before its rate allowance
    bool body_to_file = false;                     // a care-notes export: stream the body to disk
};

using EndpointReply = std::function<void(http::Response)>;
// Called with the request and its body once screening let it through; calls `reply` exactly once.
using EndpointHandler = std::function<void(http::Request request, const Screened& screened, EndpointReply reply)>;

struct Endpoint {
    std::string pattern;                   // e.g. /partners/{org}/inbox
    std::vector<http::Method> methods;     // GET also answers HEAD
    Access access;                         // who may call it
    http::RouteId route = http::RouteId::unmatched;  // as metrics and the access log name it
    std::size_t config::Limits::*body_limit = &config::Limits::max_json_body_bytes;
    std::chrono::milliseconds config::Limits::*body_timeout = &config::Limits::read_timeout;
    bool body_to_file = false;             // a care-notes export streams to disk
    EndpointHandler handler;
};

// A request's endpoint: the one whose pattern its path fits, and whether it takes the method.
struct EndpointMatch {
    const Endpoint* endpoint = nullptr;  // null: no pattern fits (404)
    PathParameters parameters;
    bool method_ok = false;
    std::string allow;  // the methods the path takes, for 405's Allow
};

class EndpointTable {
public:
    // nullopt with `error` naming the first endpoint that is misdeclared: no
    // declared access, no method, no handler, no route id, no body limit or
    // timeout, or a pattern that is malformed or declared twice.
    static std::optional<EndpointTable> create(std::vector<Endpoint> endpoints, std::string& error);

    // The first endpoint, in declaration order, whose pattern `target`'s path fits.
    EndpointMatch match(http::Method method, std::string_view target) const;
    const std::vector<Endpoint>& endpoints() const { return endpoints_; }

private:
    explicit EndpointTable(std::vector<Endpoint> endpoints) : endpoints_(std::move(endpoints)) {}
    std::vector<Endpoint> endpoints_;
};

// "GET, HEAD" or "POST": the Allow header of an endpoint.
std::string allow_of(const std::vector<http::Method>& methods);

// Whether `path` fits `pattern`, filling `parameters` when it does.
bool path_fits(std::string_view pattern, std::string_view path, PathParameters& parameters);

}  // namespace carebridge::gateway::api
