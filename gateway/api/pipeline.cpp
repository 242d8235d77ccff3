#include "api/pipeline.hpp"

#include <algorithm>
#include <cstdlib>

#include "api/audit_api.hpp"
#include "api/status_api.hpp"
#include "http/negotiation.hpp"
#include "http/outcome.hpp"
#include "http/target.hpp"

namespace carebridge::gateway::api {

using http::outcome_response;
using http::path_of;
using http::query_value;
using translation::Format;

namespace {

bool is_message_id(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-')) return false;
    return true;
}

// A config with neither routing rules nor agreements routes nothing: the
// gateway then takes messages in and stores them, and discloses nothing.
bool routes_referrals(const config::Config& config) {
    return !config.routing_rules.empty() || !config.agreements.empty();
}

}  // namespace

Pipeline::Pipeline(std::shared_ptr<const config::Config> config, store::Store& store, http::Metrics& metrics)
    : config_(std::move(config)), store_(store), metrics_(metrics) {
    // A directory that does not build routes nothing: refuse to start rather than take referrals in unrouted.
    if (routes_referrals(*config_)) {
        std::string error;
        directory_ = policy::Directory::create(*config_, error);
        if (!directory_) startup_error_ = "directory: " + error;
    }
    // A full check of the log takes seconds at a million entries: the auditor's badge reuses one for a minute.
    audit_verifier_ = std::make_shared<AuditVerifier>(store_, std::chrono::seconds(60));
    std::string endpoints_error;
    endpoints_ = EndpointTable::create(declare_endpoints(), endpoints_error);
    if (!endpoints_) startup_error_ = "endpoints: " + endpoints_error;
}

bool Pipeline::reload(std::shared_ptr<const config::Config> config, std::string& error) {
    std::shared_ptr<const policy::Directory> directory;
    if (routes_referrals(*config)) {
        directory = policy::Directory::create(*config, error);
        if (!directory) return false;
    }
    std::lock_guard lock(config_mutex_);
    config_ = std::move(config);
    directory_ = std::move(directory);
    return true;
}

std::shared_ptr<const policy::Directory> Pipeline::directory() const {
    std::lock_guard lock(config_mutex_);
    return directory_;
}

std::shared_ptr<const config::Config> Pipeline::config() const {
    std::lock_guard lock(config_mutex_);
    return config_;
}

http::Response Pipeline::reject(http::Rejection reason, unsigned status, std::string_view code, std::string message) {
    metrics_.count_rejection(reason);
    return outcome_response(status, "error", code, message);
}

std::optional<http::Response> Pipeline::screen(const http::Request& request, Screened& screened) {
    const auto config = this->config();
    screened.body_limit = config->limits.max_json_body_bytes;  // a refused request's body is read and dropped
    screened.body_timeout = config->limits.read_timeout;
    // A table that did not build serves nothing: fail closed, never open.
    if (!endpoints_) {
        http::Response r = reject(http::Rejection::cannot_check, 503, "exception",
                                  "the gateway's endpoints are misconfigured");
        r.close = true;
        return r;
    }
    EndpointMatch m = endpoints_->match(request.method, request.target);
    if (!m.endpoint)
        return reject(http::Rejection::not_found, 404, "not-found", "no such endpoint: " + std::string(path_of(request.target)));
    const Endpoint& endpoint = *m.endpoint;
    screened.route = endpoint.route;
    screened.endpoint = &endpoint;
    screened.parameters = std::move(m.parameters);
    screened.parameter = screened.parameters.empty() ? std::string() : screened.parameters.first();
    if (!m.method_ok) {
        http::Response r = reject(http::Rejection::method_not_allowed, 405, "not-supported",
                            "this endpoint takes " + m.allow);
        r.headers.emplace_back("Allow", m.allow);
        return r;
    }
    if (endpoint.access.open()) {
        screened.body_limit = 0;  // probes and static pages take no body
        return std::nullopt;
    }
    if (draining()) {
        http::Response r = reject(http::Rejection::draining, 503, "transient", "the gateway is shutting down; retry elsewhere");
        r.headers.emplace_back("Retry-After", "1");
        r.close = true;
        return r;
    }

    const http::AuthStatus auth = http::authenticate(*config, request, screened.principal);
    switch (auth) {
        case http::AuthStatus::ok: break;
        case http::AuthStatus::missing: {
            http::Response r = reject(http::Rejection::unauthenticated, 401, "login",
                                "credentials required: a bearer token or a client certificate");
            r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"carebridge\"");
            return r;
        }
        case http::AuthStatus::bad_token: {
            http::Response r = reject(http::Rejection::unauthenticated, 401, "login", "the bearer token is not valid");
            r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"carebridge\", error=\"invalid_token\"");
            return r;
        }
        case http::AuthStatus::cannot_check: {
            http::Response r = reject(http::Rejection::cannot_check, 503, "transient",
                                      "the gateway cannot check credentials now; retry shortly");
            r.headers.emplace_back("Retry-After", "1");
            return r;
        }
        case http::AuthStatus::unknown_certificate:
            return reject(http::Rejection::unauthenticated, 401, "login",
                          "the client certificate is not registered with this partnership");
    }
    // Anything but a checked caller is a stranger, whatever status a later change adds.
    if (auth != http::AuthStatus::ok)
        return reject(http::Rejection::unauthenticated, 401, "login", "credentials could not be accepted");

    const config::Roles roles = screened.principal.roles;
    const bool allowed = endpoint.access.admits(roles);
    if (!allowed)
        return reject(http::Rejection::forbidden, 403, "forbidden",
                      "client '" + screened.principal.client + "' (" + config::to_string(roles) +
                          ") may not use " + std::string(to_string(endpoint.route)));

    std::chrono::milliseconds retry_after{0};
    const double rate = screened.principal.rate_per_second > 0 ? screened.principal.rate_per_second
                                                               : config->limits.rate_per_second;
    const double burst = screened.principal.burst > 0 ? screened.principal.burst : config->limits.burst;
    if (!rate_limiter_.admit(screened.principal.client, rate, burst, http::RateLimiter::Clock::now(), retry_after)) {
        http::Response r = reject(http::Rejection::rate_limited, 429, "throttled",
                            "over this client's request rate; retry after the time in Retry-After");
        r.headers.emplace_back("Retry-After", std::to_string(std::max<long>(1, (retry_after.count() + 999) / 1000)));
        return r;
    }

    // Media types, before a byte of body is read.
    screened.body_limit = config->limits.*endpoint.body_limit;
    screened.body_timeout = config->limits.*endpoint.body_timeout;
    screened.body_to_file = endpoint.body_to_file;
    switch (endpoint.route) {
        case http::RouteId::fhir_bundle:
        case http::RouteId::fhir_resource: {
            if (http::fhir_version_of(request.content_type) == http::FhirVersion::unsupported)
                return reject(http::Rejection::unsupported_media_type, 415, "not-supported",
                              "this endpoint reads FHIR R4 (fhirVersion=4.0) and STU3 (fhirVersion=3.0) only");
            const auto format = http::format_of_content_type(request.content_type, Format::fhir);
            if (format != Format::fhir && format != Format::fhir_stu3)
                return reject(http::Rejection::unsupported_media_type, 415, "not-supported",
                              "this endpoint takes application/fhir+json");
            break;
        }
        case http::RouteId::referral_post:
            if (http::format_of_content_type(request.content_type, Format::referral) != Format::referral)
                return reject(http::Rejection::unsupported_media_type, 415, "not-supported",
                              "this endpoint takes application/json (partnership-referral/1)");
            break;
        case http::RouteId::carenotes_export:
            if (http::format_of_content_type(request.content_type, Format::fhir) != Format::carenotes)
                return reject(http::Rejection::unsupported_media_type, 415, "not-supported",
                              "this endpoint takes application/xml (a care-notes export)");
            break;
        case http::RouteId::referral_get:
            if (!is_message_id(screened.parameter))
                return reject(http::Rejection::not_found, 404, "not-found", "no referral with that id");
            if (!http::negotiate(request.accept, Format::fhir))
                return reject(http::Rejection::not_acceptable, 406, "not-supported",
                              "a referral is served as application/fhir+json, "
                              "application/vnd.carebridge.referral+json or application/xml");
            break;
        case http::RouteId::translate: {
            const auto from = translation::parse_format(query_value(request.target, "from").value_or(""));
            const auto to = translation::parse_format(query_value(request.target, "to").value_or(""));
            if (!from || !to)
                return reject(http::Rejection::malformed, 400, "invalid",
                              "name the formats: /translate?from=fhir|carenotes|referral|fhir-stu3"
                              "&to=fhir|carenotes|referral");
            if (!translation::is_writable(*to))
                return reject(http::Rejection::malformed, 400, "invalid",
                              std::string(translation::to_string(*to)) + " is read, not written: to=fhir gives R4");
            break;
        }
        default: break;
    }
    if (!request.content_length.empty()) {
        char* end = nullptr;
        const unsigned long long declared = std::strtoull(request.content_length.c_str(), &end, 10);
        if (declared > screened.body_limit) {
            http::Response r = reject(http::Rejection::body_too_large, 413, "too-long",
                                "the body is over this endpoint's limit of " + std::to_string(screened.body_limit) +
                                    " bytes");
            r.close = true;  // the unread body is still on the wire
            return r;
        }
    }
    return std::nullopt;
}

void Pipeline::handle(http::Request request, const Screened& screened, Reply reply) {
    // Only a request screen() let through reaches here, and its endpoint lives as long as the pipeline.
    if (!screened.endpoint || !screened.endpoint->handler)
        return reply(reject(http::Rejection::not_found, 404, "not-found", "no such endpoint"));
    screened.endpoint->handler(std::move(request), screened, std::move(reply));
}

}  // namespace carebridge::gateway::api
