#include "api/pipeline.hpp"

#include <algorithm>
#include <cstdlib>

#include "api/audit_api.hpp"
#include "api/partner_api.hpp"
#include "api/status_api.hpp"
#include "http/negotiation.hpp"
#include "http/outcome.hpp"
#include "http/target.hpp"
#include "ui/ui_assets.hpp"

namespace carebridge::gateway::api {

using http::outcome_response;
using http::path_of;
using http::query_value;
using translation::Format;

namespace {

bool is_resource_type(std::string_view s) {
    if (s.empty() || s.size() > 64 || s[0] < 'A' || s[0] > 'Z') return false;
    for (char c : s)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
    return true;
}

bool is_message_id(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-')) return false;
    return true;
}

struct RouteMatch {
    http::RouteId route = http::RouteId::unmatched;
    std::string parameter;
    const char* allow = "";  // methods the path takes, for 405
    bool method_ok = false;
};

RouteMatch match_route(http::Method method, std::string_view target) {
    const std::string_view path = path_of(target);
    RouteMatch m;
    if (const ui::UiRoute ui = ui::match_ui_route(method, target); ui.matched) {
        m.route = http::RouteId::ui;
        m.allow = ui.allow;
        m.method_ok = ui.method_ok;
        return m;
    }
    if (const AuditRoute audit = match_audit_route(method, target); audit.endpoint != AuditEndpoint::none) {
        m.route = http::RouteId::audit;
        m.allow = audit.allow;
        m.method_ok = audit.method_ok;
        return m;
    }
    if (const PartnerRoute partner = match_partner_route(method, target); partner.endpoint != PartnerEndpoint::none) {
        const bool admin = partner.endpoint == PartnerEndpoint::dead_letters ||
                           partner.endpoint == PartnerEndpoint::dead_letter_retry ||
                           partner.endpoint == PartnerEndpoint::dead_letters_retry;
        m.route = admin ? http::RouteId::admin : http::RouteId::partners;
        m.allow = partner.allow;
        m.method_ok = partner.method_ok;
        return m;
    }
    if (const StatusRoute status = match_status_route(method, target); status.endpoint != StatusEndpoint::none) {
        m.route = http::RouteId::status;
        m.allow = status.allow;
        m.method_ok = status.method_ok;
        return m;
    }
    const auto post_only = [&](http::RouteId route) {
        m.route = route;
        m.allow = "POST";
        m.method_ok = method == http::Method::post;
    };
    const auto get_only = [&](http::RouteId route) {
        m.route = route;
        m.allow = "GET, HEAD";
        m.method_ok = method == http::Method::get || method == http::Method::head;
    };
    if (path == "/fhir")
        post_only(http::RouteId::fhir_bundle);
    else if (path.starts_with("/fhir/") && is_resource_type(path.substr(6))) {
        post_only(http::RouteId::fhir_resource);
        m.parameter = path.substr(6);
    } else if (path == "/carenotes/exports")
        post_only(http::RouteId::carenotes_export);
    else if (path == "/referrals")
        post_only(http::RouteId::referral_post);
    else if (path.starts_with("/referrals/") && path.size() > 11) {
        get_only(http::RouteId::referral_get);
        m.parameter = path.substr(11);
    } else if (path == "/translate")
        post_only(http::RouteId::translate);
    else if (path == "/healthz")
        get_only(http::RouteId::healthz);
    else if (path == "/readyz")
        get_only(http::RouteId::readyz);
    else if (path == "/metrics")
        get_only(http::RouteId::metrics);
    return m;
}

// A config with neither routing rules nor agreements routes nothing: the
// gateway then takes messages in and stores them, and discloses nothing.
bool routes_referrals(const config::Config& config) {
    return !config.routing_rules.empty() || !config.agreements.empty();
}

}  // namespace

Pipeline::Pipeline(std::shared_ptr<const config::Config> config, store::Store& store, http::Metrics& metrics)
    : config_(std::move(config)), store_(store), metrics_(metrics) {
    std::string error;
    if (routes_referrals(*config_)) directory_ = policy::Directory::create(*config_, error);
    // A full check of the log takes seconds at a million entries: the auditor's badge reuses one for a minute.
    audit_verifier_ = std::make_shared<AuditVerifier>(store_, std::chrono::seconds(60));
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
    const RouteMatch m = match_route(request.method, request.target);
    screened.route = m.route;
    screened.parameter = m.parameter;
    if (m.route == http::RouteId::unmatched)
        return reject(http::Rejection::not_found, 404, "not-found", "no such endpoint: " + std::string(path_of(request.target)));
    if (!m.method_ok) {
        http::Response r = reject(http::Rejection::method_not_allowed, 405, "not-supported",
                            "this endpoint takes " + std::string(m.allow));
        r.headers.emplace_back("Allow", m.allow);
        return r;
    }
    // Probes and metrics answer without credentials: they carry no patient data
    // and a load balancer must reach them.
    // The auditor's page is static files; the data it shows comes from /audit with a token.
    if (m.route == http::RouteId::healthz || m.route == http::RouteId::readyz || m.route == http::RouteId::metrics ||
        m.route == http::RouteId::ui)
        return std::nullopt;
    if (draining()) {
        http::Response r = reject(http::Rejection::draining, 503, "transient", "the gateway is shutting down; retry elsewhere");
        r.headers.emplace_back("Retry-After", "1");
        r.close = true;
        return r;
    }

    const auto config = this->config();
    switch (http::authenticate(*config, request, screened.principal)) {
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
        case http::AuthStatus::unknown_certificate:
            return reject(http::Rejection::unauthenticated, 401, "login",
                          "the client certificate is not registered with this partnership");
    }

    const config::Roles roles = screened.principal.roles;
    bool allowed = false;
    switch (m.route) {
        case http::RouteId::fhir_bundle:
        case http::RouteId::fhir_resource:
        case http::RouteId::carenotes_export:
        case http::RouteId::referral_post: allowed = roles.has(config::Role::submitter); break;
        // A referral is read by the organisation that sent it (partners get
        // theirs through routing); auditors read metadata, never payloads.
        case http::RouteId::referral_get:
            allowed = roles.has(config::Role::submitter) || roles.has(config::Role::admin);
            break;
        // Auditors and admins read the whole log, a partner its own organisation's entries.
        case http::RouteId::audit:
            allowed = audit_route_allowed(match_audit_route(request.method, request.target).endpoint, roles);
            break;
        case http::RouteId::partners:
        case http::RouteId::admin:
            allowed = partner_route_allowed(match_partner_route(request.method, request.target).endpoint, roles);
            break;
        case http::RouteId::status:
            allowed = status_route_allowed(match_status_route(request.method, request.target).endpoint, roles);
            break;
        // Stateless translation stores and discloses nothing.
        case http::RouteId::translate:
            allowed = roles.has(config::Role::submitter) || roles.has(config::Role::partner) ||
                      roles.has(config::Role::admin);
            break;
        default: allowed = true;
    }
    if (!allowed)
        return reject(http::Rejection::forbidden, 403, "forbidden",
                      "client '" + screened.principal.client + "' (" + config::to_string(roles) +
                          ") may not use " + std::string(to_string(m.route)));

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
    const auto& limits = config->limits;
    screened.body_limit = limits.max_json_body_bytes;
    switch (m.route) {
        case http::RouteId::fhir_bundle:
        case http::RouteId::fhir_resource:
            if (http::format_of_content_type(request.content_type, Format::fhir) != Format::fhir)
                return reject(http::Rejection::unsupported_media_type, 415, "not-supported",
                              "this endpoint takes application/fhir+json");
            break;
        case http::RouteId::referral_post:
            if (http::format_of_content_type(request.content_type, Format::referral) != Format::referral)
                return reject(http::Rejection::unsupported_media_type, 415, "not-supported",
                              "this endpoint takes application/json (partnership-referral/1)");
            break;
        case http::RouteId::carenotes_export:
            if (http::format_of_content_type(request.content_type, Format::fhir) != Format::carenotes)
                return reject(http::Rejection::unsupported_media_type, 415, "not-supported",
                              "this endpoint takes application/xml (a care-notes export)");
            screened.body_limit = limits.max_export_body_bytes;
            screened.body_to_file = true;
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
                              "name the formats: /translate?from=fhir|carenotes|referral&to=fhir|carenotes|referral");
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
    switch (screened.route) {
        case http::RouteId::healthz: {
            http::Response r;
            r.content_type = "text/plain; charset=utf-8";
            r.body = "ok\n";
            return reply(std::move(r));
        }
        case http::RouteId::readyz: return reply(ready());
        case http::RouteId::metrics: {
            http::Response r;
            r.content_type = "text/plain; version=0.0.4; charset=utf-8";
            r.body = metrics_.render();
            return reply(std::move(r));
        }
        case http::RouteId::referral_get: return read_referral(request, screened, std::move(reply));
        case http::RouteId::translate: return reply(translate(request));
        case http::RouteId::carenotes_export: return intake_export(std::move(request), screened, std::move(reply));
        case http::RouteId::fhir_bundle:
        case http::RouteId::fhir_resource:
        case http::RouteId::referral_post: return intake(std::move(request), screened, std::move(reply));
        case http::RouteId::ui: return reply(ui::ui_asset_response(ui::match_ui_route(request.method, request.target)));
        case http::RouteId::audit: {
            const AuditApi api{store_, config(), audit_verifier_};
            return handle_audit_route(request, screened.principal, match_audit_route(request.method, request.target),
                                      api, std::move(reply));
        }
        case http::RouteId::partners:
        case http::RouteId::admin: {
            const PartnerRoute route = match_partner_route(request.method, request.target);
            const PartnerApi api{store_, config(), outbox_queued_};
            return handle_partner_route(request, screened.principal, route, api, std::move(reply));
        }
        case http::RouteId::status: {
            const StatusApi api{store_, config(), outbox_queued_};
            return handle_status_route(request, screened.principal, match_status_route(request.method, request.target),
                                       api, std::move(reply));
        }
        case http::RouteId::unmatched: break;
    }
    reply(reject(http::Rejection::not_found, 404, "not-found", "no such endpoint"));
}

http::Response Pipeline::ready() {
    if (draining()) return outcome_response(503, "error", "transient", "draining");
    if (!store_.ready()) return outcome_response(503, "error", "transient", "the store is not reachable");
    http::Response r;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "ready\n";
    return r;
}

void Pipeline::escalate_overdue(std::chrono::system_clock::time_point now, std::function<void(bool failed)> done) {
    const StatusApi api{store_, config(), outbox_queued_};
    api::escalate_overdue(api, now, [this, done = std::move(done)](std::size_t escalated, bool failed) {
        metrics_.count_escalations(escalated);
        if (done) done(failed);
    });
}

}  // namespace carebridge::gateway::api
