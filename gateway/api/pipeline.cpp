#include "api/pipeline.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <future>
#include <thread>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "carenotes/carenotes_codec.hpp"
#include "audit/detail.hpp"
#include "intake/disclosures.hpp"
#include "http/negotiation.hpp"
#include "api/audit_api.hpp"
#include "api/partner_api.hpp"
#include "api/status_api.hpp"
#include "ui/ui_assets.hpp"
#include "issues/operation_outcome.hpp"
#include "translation/translator.hpp"

namespace carebridge::gateway::api {

using translation::Format;

namespace {

constexpr std::string_view fhir_json = "application/fhir+json";

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

// The value of `name` in the query string (no percent-decoding: the values
// this gateway takes are plain words).
std::string_view query_value(std::string_view target, std::string_view name) {
    const auto q = target.find('?');
    if (q == std::string_view::npos) return {};
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    }
    return {};
}

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

// A random (version 4) UUID for a stored message: unguessable, so an id
// says nothing about how many referrals the gateway holds.
std::string new_message_id() {
    unsigned char b[16];
    RAND_bytes(b, sizeof b);
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    char text[37];
    std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                  b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return text;
}

std::string now_instant() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis));
    return text;
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

// The status a failed decode earns: unreadable is 400, readable but wrong 422.
unsigned decode_failure_status(const issues::IssueSink& sink) {
    return sink.count(issues::Severity::fatal) > 0 ? 400 : 422;
}

http::Response outcome_of(unsigned status, const issues::IssueSink& sink) {
    http::Response r;
    r.status = status;
    r.content_type = std::string(fhir_json);
    r.body = issues::to_operation_outcome_json(sink);
    return r;
}

// What a sender is told when its message is stored: where it is and what was
// not carried (warnings). Kept with the message for an idempotent repeat.
std::string accepted_outcome(issues::IssueSink& sink, const std::string& id) {
    sink.add(issues::Severity::information, issues::IssueType::informational, "", "accepted as /referrals/" + id);
    return issues::to_operation_outcome_json(sink);
}

// One stored message from a decoded record.
store::StoredMessage message_from(const model::PersonRecord& record, const http::Principal& principal, Format format,
                                  std::string content_type, std::string payload, std::string idempotency_key) {
    store::StoredMessage m;
    m.id = new_message_id();
    m.sender = principal.organisation;
    m.client = principal.client;
    m.idempotency_key = std::move(idempotency_key);
    m.received_at = now_instant();
    m.source_format = std::string(translation::to_string(format));
    m.content_type = std::move(content_type);
    m.payload = std::move(payload);
    m.nhs_number = record.person.nhs_number;
    if (!record.referrals.empty()) {
        m.referral_id = record.referrals.front().id;
        // The partnership format is the gateway's internal model; what it
        // cannot hold stays in the original payload, kept beside it.
        issues::IssueSink internal;
        m.canonical = translation::encode_document(Format::referral, record, false, internal);
    }
    return m;
}

// The export lane: care-notes exports are long (a gigabyte takes seconds),
// so they run one at a time on their own thread instead of holding a
// request thread, and only a few may wait.
class ExportLane {
public:
    static ExportLane& instance() {
        static ExportLane lane;
        return lane;
    }
    bool submit(std::function<void()> job) {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= max_waiting) return false;
        queue_.push_back(std::move(job));
        wake_.notify_one();
        return true;
    }
    ~ExportLane() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            wake_.notify_all();
        }
        if (worker_.joinable()) worker_.join();
    }

private:
    static constexpr std::size_t max_waiting = 4;
    ExportLane() : worker_([this] { run(); }) {}
    void run() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) return;
                job = std::move(queue_.front());
                queue_.pop_front();
            }
            job();
        }
    }
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace

http::Response outcome_response(unsigned status, std::string_view severity, std::string_view code, std::string_view message) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    w.Key("resourceType");
    w.String("OperationOutcome");
    w.Key("issue");
    w.StartArray();
    w.StartObject();
    w.Key("severity");
    w.String(severity.data(), static_cast<rapidjson::SizeType>(severity.size()));
    w.Key("code");
    w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
    w.Key("diagnostics");
    w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
    w.EndObject();
    w.EndArray();
    w.EndObject();
    http::Response r;
    r.status = status;
    r.content_type = std::string(fhir_json);
    r.body.assign(buffer.GetString(), buffer.GetSize());
    return r;
}

namespace {

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
    if (!config_->store.sqlite_directory.empty())
        audit_verifier_ = std::make_shared<AuditVerifier>(audit_database_path(config_->store.sqlite_directory),
                                                          std::chrono::seconds(60));
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
            const auto from = translation::parse_format(query_value(request.target, "from"));
            const auto to = translation::parse_format(query_value(request.target, "to"));
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

void Pipeline::intake(http::Request request, const Screened& screened, Reply reply) {
    const Format format = screened.route == http::RouteId::referral_post ? Format::referral : Format::fhir;
    const auto config = this->config();
    const intake::Actor actor = intake::actor_of(screened.principal, *config, "submitter");
    codec::DecodeOptions options;
    options.limits.max_document_bytes = config->limits.max_json_body_bytes;
    issues::IssueSink sink;
    model::SourcePaths paths;
    auto record = translation::decode_document(format, request.body, options, sink, &paths);
    if (!record) {
        const bool fatal = sink.count(issues::Severity::fatal) > 0;
        metrics_.count_rejection(fatal ? http::Rejection::malformed : http::Rejection::invalid_content);
        return record_rejection(actor, {}, "validation", sink.count(issues::Severity::fatal) +
                                                                 sink.count(issues::Severity::error),
                                outcome_of(decode_failure_status(sink), sink), std::move(reply));
    }
    if (screened.route == http::RouteId::fhir_resource && paths.document_type != screened.parameter) {
        return reply(reject(http::Rejection::invalid_content, 422, "invalid",
                            "the body is a " + paths.document_type + ", not a " + screened.parameter));
    }
    if (screened.route != http::RouteId::fhir_resource && record->referrals.empty()) {
        return reply(reject(http::Rejection::invalid_content, 422, "required",
                            "the document holds no referral (a ServiceRequest or a partnership referral)"));
    }

    // The sender's own name for this message makes a resend recognisable.
    std::string key = request.idempotency_key;
    if (key.empty() && format == Format::fhir) key = paths.message_id;
    if (key.empty() && format == Format::referral && !record->referrals.empty())
        key = "referral|" + record->referrals.front().id + "|" + std::to_string(record->referrals.front().version);

    store::WriteSet writes;
    writes.messages.push_back(message_from(*record, screened.principal, format, request.content_type,
                                           std::move(request.body), std::move(key)));
    const store::StoredMessage& message = writes.messages.back();
    const std::size_t warnings = sink.count(issues::Severity::warning);

    // Policy: who may receive it, and what each may see. A referral that
    // cannot go anywhere it asked is refused, and only the refusal is recorded.
    intake::DisclosurePlan plan;
    const auto now = std::chrono::system_clock::now();
    if (const auto directory = this->directory(); directory && !record->referrals.empty())
        plan = intake::plan_disclosures(*record, message, actor, screened.principal.organisation, *directory, now);
    if (plan.refusal) {
        metrics_.count_rejection(http::Rejection::not_routable);
        store::WriteSet refused;
        refused.audit = std::move(plan.audit);
        audit::AuditEvent rejected = intake::message_event(audit::AuditAction::rejected, actor, message, audit::outcome::denied,
                                                   audit::Detail().add("reason", "policy").add("status", plan.refusal->status).text());
        rejected.message_id.clear();  // nothing was stored under it
        refused.audit.push_back(std::move(rejected));
        for (auto& e : refused.audit) e.message_id.clear();
        http::Response r = outcome_response(plan.refusal->status, "error", "business-rule", plan.refusal->message);
        store_.commit(std::move(refused), [reply = std::move(reply), r = std::move(r)](store::CommitResult) mutable {
            reply(std::move(r));
        });
        return;
    }
    for (const auto& note : plan.notes)
        sink.add(issues::Severity::information, issues::IssueType::informational, "", note);
    writes.messages.back().outcome = accepted_outcome(sink, message.id);
    writes.audit.push_back(intake::message_event(audit::AuditAction::received, actor, message, audit::outcome::success,
                                         audit::Detail()
                                             .add("format", message.source_format)
                                             .add("bytes", message.payload.size())
                                             .text()));
    writes.audit.push_back(intake::message_event(audit::AuditAction::translated, actor, message, audit::outcome::success,
                                         audit::Detail()
                                             .add("from", message.source_format)
                                             .add("to", "referral")
                                             .add("warnings", warnings)
                                             .text()));
    for (auto& e : plan.audit) writes.audit.push_back(std::move(e));
    writes.outbox = std::move(plan.outbox);
    const bool queued = !writes.outbox.empty();
    // A red referral that went somewhere is timed: if nobody accepts it in
    // time its originator is told (escalate_overdue in status_api).
    if (queued && config->red_escalation_after.count() > 0 &&
        std::any_of(record->referrals.begin(), record->referrals.end(),
                    [](const model::Referral& r) { return r.priority == model::Priority::red; }))
        writes.escalation_timers.push_back(
            store::EscalationTimer{message.id, audit::format_instant(now + config->red_escalation_after)});
    commit(std::move(writes), "/referrals/", [this, queued, reply = std::move(reply)](http::Response r) {
        if (queued && r.status == 201 && outbox_queued_) outbox_queued_();
        reply(std::move(r));
    });
}

void Pipeline::escalate_overdue(std::chrono::system_clock::time_point now, std::function<void(bool failed)> done) {
    const StatusApi api{store_, config(), outbox_queued_};
    api::escalate_overdue(api, now, [this, done = std::move(done)](std::size_t escalated, bool failed) {
        metrics_.count_escalations(escalated);
        if (done) done(failed);
    });
}

void Pipeline::record_rejection(const intake::Actor& actor, const std::string& patient, std::string_view reason,
                                std::size_t issues, http::Response response, Reply reply) {
    store::WriteSet writes;
    audit::AuditEvent e;
    e.action = audit::AuditAction::rejected;
    e.actor_organisation = actor.ods;
    e.actor_client = actor.client;
    e.actor_role = actor.role;
    e.patient = patient;
    e.outcome = audit::outcome::denied;
    e.detail = audit::Detail().add("reason", reason).add("status", response.status).add("issues", issues).text();
    writes.audit.push_back(std::move(e));
    // The sender's answer does not wait on the log's fate: a rejection stores nothing else.
    store_.commit(std::move(writes), [reply = std::move(reply), response = std::move(response)](
                                         store::CommitResult) mutable { reply(std::move(response)); });
}

void Pipeline::commit(store::WriteSet writes, std::string location_base, Reply reply) {
    const std::string outcome = writes.messages.front().outcome;
    store_.commit(std::move(writes), [this, outcome, location_base = std::move(location_base),
                                      reply = std::move(reply)](store::CommitResult result) {
        if (result.error || result.messages.empty()) {
            http::Response r = reject(http::Rejection::store_unavailable, 503, "transient",
                                "the message could not be stored; nothing was kept, send it again");
            r.headers.emplace_back("Retry-After", "1");
            return reply(std::move(r));
        }
        const store::MessageResult& stored = result.messages.front();
        http::Response r;
        r.status = 201;
        r.content_type = std::string(fhir_json);
        r.body = stored.duplicate ? stored.outcome : outcome;
        r.headers.emplace_back("Location", location_base + stored.id);
        if (stored.duplicate) r.headers.emplace_back("Idempotent-Replayed", "true");
        reply(std::move(r));
    });
}

void Pipeline::read_referral(const http::Request& request, const Screened& screened, Reply reply) {
    http::Response r = render_referral(request, screened);
    if (r.status != 200) return reply(std::move(r));
    // Who viewed whose referral is logged before they see it.
    const auto config = this->config();
    const intake::Actor actor = intake::actor_of(screened.principal, *config,
                                 screened.principal.roles.has(config::Role::admin) ? "admin" : "submitter");
    std::error_code ignored;
    store::StoredMessage viewed;
    viewed.id = screened.parameter;
    if (auto m = store_.find_message(screened.parameter, ignored)) {
        viewed.nhs_number = m->nhs_number;
        viewed.referral_id = m->referral_id;
    }
    store::WriteSet writes;
    writes.audit.push_back(intake::message_event(audit::AuditAction::read, actor, viewed, audit::outcome::success,
                                         audit::Detail().add("format", r.content_type).text()));
    store_.commit(std::move(writes), [this, reply = std::move(reply), r = std::move(r)](store::CommitResult result) mutable {
        if (result.error) {
            http::Response unavailable = reject(http::Rejection::store_unavailable, 503, "transient",
                                          "the read could not be recorded; nothing was disclosed");
            unavailable.headers.emplace_back("Retry-After", "1");
            return reply(std::move(unavailable));
        }
        reply(std::move(r));
    });
}

http::Response Pipeline::render_referral(const http::Request& request, const Screened& screened) {
    std::error_code error;
    auto message = store_.find_message(screened.parameter, error);
    if (error) {
        http::Response r = reject(http::Rejection::store_unavailable, 503, "transient", "the store is not reachable");
        r.headers.emplace_back("Retry-After", "1");
        return r;
    }
    // Another organisation's referral is answered as absent: its existence is not ours to disclose.
    if (!message || (message->sender != screened.principal.organisation &&
                     !screened.principal.roles.has(config::Role::admin)))
        return reject(http::Rejection::not_found, 404, "not-found", "no referral with that id");
    if (message->payload.empty())
        return outcome_response(410, "error", "deleted",
                                "this referral's content was purged after the partnership's retention period; "
                                "its audit trail remains");
    const auto source = translation::parse_format(message->source_format);
    const auto wanted = http::negotiate(request.accept, Format::fhir);
    if (!source || !wanted) return reject(http::Rejection::not_acceptable, 406, "not-supported", "no acceptable format");

    http::Response r;
    r.content_type = std::string(http::media_type(*wanted));
    r.headers.emplace_back("Content-Location", "/referrals/" + message->id);
    if (*wanted == *source) {
        r.body = std::move(message->payload);
        return r;
    }
    // Re-read from the original payload so nothing the partnership format
    // cannot hold is lost on the way to the format asked for.
    issues::IssueSink sink;
    codec::DecodeOptions options;
    options.limits.max_document_bytes = std::max(options.limits.max_document_bytes, message->payload.size());
    auto record = translation::decode_document(*source, message->payload, options, sink);
    if (!record) return outcome_response(500, "fatal", "exception", "the stored message no longer decodes");
    issues::IssueSink encode_sink;
    r.body = translation::encode_document(*wanted, *record, false, encode_sink);
    if (r.body.empty())
        return reject(http::Rejection::not_acceptable, 406, "not-supported",
                      "this message cannot be written as " + std::string(http::media_type(*wanted)) + ": " +
                          issues::one_line_summary(encode_sink));
    return r;
}

http::Response Pipeline::translate(const http::Request& request) {
    translation::TranslateRequest t;
    t.from = *translation::parse_format(query_value(request.target, "from"));
    t.to = *translation::parse_format(query_value(request.target, "to"));
    t.decode.limits.max_document_bytes = config()->limits.max_json_body_bytes;
    t.pretty = false;
    issues::IssueSink sink;
    http::Response r;
    const auto summary = translation::translate_text(t, request.body, [&](std::string_view chunk) { r.body += chunk; },
                                                     sink);
    if (!summary.ok()) {
        metrics_.count_rejection(summary.fatal ? http::Rejection::malformed : http::Rejection::invalid_content);
        return outcome_of(summary.fatal ? 400 : 422, sink);
    }
    r.content_type = summary.ndjson ? "application/x-ndjson" : std::string(http::media_type(t.to));
    r.headers.emplace_back("Carebridge-Warnings", std::to_string(sink.count(issues::Severity::warning)));
    return r;
}

namespace {

// The summary a care-notes sender gets back: counts, where each accepted
// client went, and the issues of those rejected.
struct ExportSummary {
    std::size_t accepted = 0, duplicates = 0, rejected = 0;
    bool fatal = false;
    std::vector<std::pair<std::size_t, std::string>> stored;  // client ordinal → message id
};

std::string render_export_summary(const ExportSummary& s, const issues::IssueSink& sink) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    w.Key("accepted");
    w.Uint64(s.accepted);
    w.Key("duplicates");
    w.Uint64(s.duplicates);
    w.Key("rejected");
    w.Uint64(s.rejected);
    w.Key("complete");
    w.Bool(!s.fatal);
    w.Key("referrals");
    w.StartArray();
    for (const auto& [client, id] : s.stored) {
        w.StartObject();
        w.Key("client");
        w.Uint64(client);
        w.Key("location");
        const std::string location = "/referrals/" + id;
        w.String(location.c_str(), static_cast<rapidjson::SizeType>(location.size()));
        w.EndObject();
    }
    w.EndArray();
    w.Key("outcome");
    const std::string outcome = issues::to_operation_outcome_json(sink);
    w.RawValue(outcome.c_str(), outcome.size(), rapidjson::kObjectType);
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

void Pipeline::intake_export(http::Request request, const Screened& screened, Reply reply) {
    auto job = [this, request = std::move(request), principal = screened.principal, reply]() mutable {
        issues::IssueSink sink;  // bounded: a million bad clients keep only the first thousand issues
        carenotes::ReaderOptions options;
        auto reader = carenotes::ExportReader::open_file(request.body_file, options, sink);
        if (!reader) {
            metrics_.count_rejection(http::Rejection::malformed);
            return reply(outcome_of(400, sink));
        }
        ExportSummary summary;
        // Clients are committed in groups: memory stays flat however long the
        // export, and each group is durable before the next is read.
        constexpr std::size_t group = 256;
        store::WriteSet writes;
        std::vector<std::size_t> ordinals;
        bool store_failed = false;
        const auto flush = [&] {
            if (writes.messages.empty() || store_failed) return;
            std::promise<store::CommitResult> promise;
            auto done = promise.get_future();
            store_.commit(std::move(writes), [&promise](store::CommitResult r) { promise.set_value(std::move(r)); });
            const store::CommitResult result = done.get();
            writes = store::WriteSet();
            if (result.error) {
                store_failed = true;
                return;
            }
            for (std::size_t i = 0; i < result.messages.size(); ++i) {
                if (result.messages[i].duplicate)
                    ++summary.duplicates;
                else
                    ++summary.accepted;
                if (summary.stored.size() < 100'000) summary.stored.emplace_back(ordinals[i], result.messages[i].id);
            }
            ordinals.clear();
        };
        std::size_t ordinal = 0;
        for (;; ++ordinal) {
            model::PersonRecord record;
            issues::IssueSink client_sink(64);
            const auto step = reader->next(record, client_sink);
            if (step == carenotes::ExportReader::Step::end) break;
            if (step == carenotes::ExportReader::Step::fatal) {
                summary.fatal = true;
                sink.append(std::move(client_sink));
                break;
            }
            if (step == carenotes::ExportReader::Step::rejected) {
                ++summary.rejected;
                sink.append(std::move(client_sink));
                continue;
            }
            issues::IssueSink encode_sink;
            std::string payload = carenotes::encode_single(record, encode_sink, false);
            std::string key = request.idempotency_key.empty()
                                  ? std::string()
                                  : request.idempotency_key + "#" + std::to_string(ordinal);
            writes.messages.push_back(message_from(record, principal, Format::carenotes, request.content_type,
                                                   std::move(payload), std::move(key)));
            writes.messages.back().outcome = issues::to_operation_outcome_json(client_sink);
            ordinals.push_back(ordinal);
            sink.append(std::move(client_sink));
            if (writes.messages.size() >= group) flush();
            if (store_failed) break;
        }
        flush();
        if (store_failed) {
            http::Response r = reject(http::Rejection::store_unavailable, 503, "transient",
                                "the store failed part-way; " + std::to_string(summary.accepted) +
                                    " clients were stored and a resend with the same Idempotency-Key skips them");
            r.headers.emplace_back("Retry-After", "1");
            return reply(std::move(r));
        }
        http::Response r;
        r.content_type = "application/json";
        r.body = render_export_summary(summary, sink);
        if (summary.accepted + summary.duplicates > 0)
            r.status = 201;
        else {
            r.status = summary.fatal ? 400 : 422;
            metrics_.count_rejection(summary.fatal ? http::Rejection::malformed : http::Rejection::invalid_content);
        }
        reply(std::move(r));
    };
    if (!ExportLane::instance().submit(std::move(job))) {
        http::Response r = reject(http::Rejection::store_unavailable, 503, "transient",
                            "too many care-notes exports are waiting; retry later");
        r.headers.emplace_back("Retry-After", "5");
        reply(std::move(r));
    }
}

}  // namespace carebridge::gateway::api
