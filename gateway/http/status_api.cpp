#include "http/status_api.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include "audit/audit_event.hpp"
#include "audit/detail.hpp"
#include "http/pipeline.hpp"

namespace carebridge::gateway::http {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::size_t longest_reason = 2000;  // a sentence or two; the history is not a case note
constexpr std::size_t longest_service = 64;

constexpr std::array statuses{"accepted",        "declined",  "waiting",   "contacted",
                              "not-contactable", "completed", "discharged"};

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

bool is_message_id(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-')) return false;
    return true;
}

void key(JsonWriter& w, std::string_view name) { w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size())); }
void field(JsonWriter& w, std::string_view name, std::string_view value) {
    key(w, name);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

Response json_response(unsigned status, const rapidjson::StringBuffer& buffer) {
    Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body.assign(buffer.GetString(), buffer.GetSize());
    return r;
}

Response not_found() { return outcome_response(404, "error", "not-found", "no referral with that id"); }

Response store_unavailable() {
    Response r = outcome_response(503, "error", "transient", "the store is not reachable; retry shortly");
    r.headers.emplace_back("Retry-After", "1");
    return r;
}

std::string ods_of(const config::Config& config, std::string_view organisation) {
    const config::Organisation* o = config.organisation(organisation);
    return o ? o->ods_code : std::string(organisation);
}

// History steps name organisations by ODS code, the partnership's common
// language, as the referral format's own history does.
void write_history(JsonWriter& w, const config::Config& config, const std::vector<store::HistoryEntry>& history) {
    key(w, "history");
    w.StartArray();
    for (const store::HistoryEntry& entry : history) {
        w.StartObject();
        field(w, "organisation", ods_of(config, entry.organisation));
        if (!entry.service.empty()) field(w, "service", entry.service);
        field(w, "status", entry.status);
        if (!entry.reason.empty()) field(w, "reason", entry.reason);
        field(w, "time", entry.time);
        w.EndObject();
    }
    w.EndArray();
}

// The organisations named on the referral's care plan (activities'
// responsible organisations), as config ids; unknown codes are skipped.
std::vector<std::string> care_plan_organisations(const config::Config& config, const std::string& canonical) {
    std::vector<std::string> ids;
    rapidjson::Document doc;
    doc.Parse(canonical.data(), canonical.size());
    if (doc.HasParseError() || !doc.IsObject()) return ids;
    const auto plan = doc.FindMember("carePlan");
    if (plan == doc.MemberEnd() || !plan->value.IsObject()) return ids;
    const auto activities = plan->value.FindMember("activities");
    if (activities == plan->value.MemberEnd() || !activities->value.IsArray()) return ids;
    for (const auto& activity : activities->value.GetArray()) {
        if (!activity.IsObject()) continue;
        const auto responsible = activity.FindMember("responsibleOrganisation");
        if (responsible == activity.MemberEnd() || !responsible->value.IsString()) continue;
        const config::Organisation* o = config.organisation(
            std::string_view(responsible->value.GetString(), responsible->value.GetStringLength()));
        if (o && std::find(ids.begin(), ids.end(), o->id) == ids.end()) ids.push_back(o->id);
    }
    return ids;
}

struct StatusUpdate {
    std::string status, reason, service;
};

// The update in the body; a 400 or 422 response when it is not one.
std::optional<Response> parse_update(const std::string& body, const config::Organisation& poster,
                                     StatusUpdate& update) {
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsObject())
        return outcome_response(400, "error", "invalid", "the body is not a JSON object");
    const auto text = [&](const char* name, std::string& out) {
        const auto m = doc.FindMember(name);
        if (m == doc.MemberEnd() || m->value.IsNull()) return true;
        if (!m->value.IsString()) return false;
        out.assign(m->value.GetString(), m->value.GetStringLength());
        return true;
    };
    if (!text("status", update.status) || !is_referral_status(update.status))
        return outcome_response(422, "error", "invalid",
                                "status is one of accepted, declined, waiting, contacted, not-contactable, "
                                "completed, discharged");
    if (!text("reason", update.reason) || update.reason.size() > longest_reason)
        return outcome_response(422, "error", "invalid",
                                "reason is a string of at most " + std::to_string(longest_reason) + " bytes");
    if (!text("service", update.service) || update.service.size() > longest_service)
        return outcome_response(422, "error", "invalid", "service is a service id");
    // A service, when named, must be one the posting organisation runs, so
    // a bounce is counted per real service.
    if (!update.service.empty() &&
        std::none_of(poster.services.begin(), poster.services.end(),
                     [&](const config::Service& s) { return s.id == update.service; }))
        return outcome_response(422, "error", "invalid",
                                "'" + update.service + "' is not a service of " + poster.id);
    return std::nullopt;
}

// Whether the caller's organisation is a party to the message: its sender
// or one it was routed to. The recipients are read only when needed.
bool is_party(store::Store& store, const store::StoredMessage& message, const Principal& principal,
              std::error_code& error) {
    if (message.sender == principal.organisation) return true;
    const auto recipients = store.message_recipients(message.id, error);
    return std::find(recipients.begin(), recipients.end(), principal.organisation) != recipients.end();
}

std::string_view role_of(const Principal& principal) {
    return principal.roles.has(config::Role::partner) ? "partner" : "submitter";
}

}  // namespace

std::string_view to_string(StatusEndpoint endpoint) {
    switch (endpoint) {
        case StatusEndpoint::none: return "none";
        case StatusEndpoint::post_status: return "referral_status";
        case StatusEndpoint::history: return "referral_history";
    }
    return "none";
}

StatusRoute match_status_route(Method method, std::string_view target) {
    const std::string_view path = path_of(target);
    StatusRoute route;
    constexpr std::string_view prefix = "/referrals/";
    if (!path.starts_with(prefix)) return route;
    const std::string_view rest = path.substr(prefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || !is_message_id(rest.substr(0, slash))) return route;
    const std::string_view tail = rest.substr(slash + 1);
    if (tail == "status") {
        route.endpoint = StatusEndpoint::post_status;
        route.allow = "POST";
        route.method_ok = method == Method::post;
    } else if (tail == "history") {
        route.endpoint = StatusEndpoint::history;
        route.allow = "GET, HEAD";
        route.method_ok = method == Method::get || method == Method::head;
    } else {
        return route;
    }
    route.message_id = std::string(rest.substr(0, slash));
    return route;
}

bool status_route_allowed(StatusEndpoint endpoint, const config::Roles& roles) {
    switch (endpoint) {
        case StatusEndpoint::post_status: return roles.has(config::Role::partner) || roles.has(config::Role::submitter);
        case StatusEndpoint::history:
            return roles.has(config::Role::partner) || roles.has(config::Role::submitter) ||
                   roles.has(config::Role::admin);
        case StatusEndpoint::none: break;
    }
    return false;
}

bool is_referral_status(std::string_view status) {
    return std::find(statuses.begin(), statuses.end(), status) != statuses.end();
}

bool is_bouncing(const std::vector<store::HistoryEntry>& history) {
    std::set<std::pair<std::string, std::string>> decliners;
    for (const store::HistoryEntry& entry : history)
        if (entry.status == "declined") decliners.emplace(entry.organisation, entry.service);
    return decliners.size() >= 2;
}

void handle_status_route(const Request& request, const Principal& principal, const StatusRoute& route,
                         const StatusApi& api, StatusReply reply) {
    if (!status_route_allowed(route.endpoint, principal.roles)) {
        if (route.endpoint == StatusEndpoint::none)
            return reply(outcome_response(404, "error", "not-found", "no such endpoint"));
        return reply(outcome_response(403, "error", "forbidden",
                                      "client '" + principal.client + "' may not use " +
                                          std::string(to_string(route.endpoint))));
    }
    switch (route.endpoint) {
        case StatusEndpoint::post_status:
            return post_status(request, principal, route.message_id, api, std::move(reply));
        case StatusEndpoint::history: return read_history(request, principal, route.message_id, api, std::move(reply));
        case StatusEndpoint::none: break;
    }
    reply(outcome_response(404, "error", "not-found", "no such endpoint"));
}

void post_status(const Request& request, const Principal& principal, std::string_view message_id,
                 const StatusApi& api, StatusReply reply) {
    if (!api.config) return reply(not_found());
    const config::Config& config = *api.config;
    const config::Organisation* poster = config.organisation(principal.organisation);
    if (!poster) return reply(not_found());

    std::error_code error;
    const auto message = api.store.find_message(message_id, error);
    if (error) return reply(store_unavailable());
    if (!message) return reply(not_found());
    const bool party = is_party(api.store, *message, principal, error);
    if (error) return reply(store_unavailable());
    // Another organisation's referral is answered as absent: its existence is not ours to disclose.
    if (!party) return reply(not_found());

    StatusUpdate update;
    if (auto bad = parse_update(request.body, *poster, update)) return reply(std::move(*bad));

    auto history = api.store.referral_history(message->id, error);
    if (error) return reply(store_unavailable());
    store::HistoryEntry step;
    step.message_id = message->id;
    step.organisation = poster->id;
    step.service = update.service;
    step.status = update.status;
    step.reason = update.reason;
    step.time = audit::now_instant();
    history.push_back(step);
    const bool bouncing = is_bouncing(history);

    // Who hears of it: the originator, and the others named on the care plan
    // (a Trust's discharge reaches the VCSE partner holding the person).
    std::vector<std::string> told;
    if (message->sender != poster->id) told.push_back(message->sender);
    for (const std::string& id : care_plan_organisations(config, message->canonical))
        if (id != poster->id && std::find(told.begin(), told.end(), id) == told.end()) told.push_back(id);

    rapidjson::StringBuffer notice;
    {
        JsonWriter w(notice);
        w.StartObject();
        field(w, "schema", "partnership-status/1");
        field(w, "referral", message->id);
        if (!message->referral_id.empty()) field(w, "sender_referral", message->referral_id);
        field(w, "organisation", poster->ods_code);
        if (!update.service.empty()) field(w, "service", update.service);
        field(w, "status", update.status);
        if (!update.reason.empty()) field(w, "reason", update.reason);
        key(w, "bouncing");
        w.Bool(bouncing);
        write_history(w, config, history);
        w.EndObject();
    }

    store::WriteSet writes;
    writes.history.push_back(step);
    std::vector<std::string> told_ods;
    for (const std::string& id : told) {
        const config::Organisation* o = config.organisation(id);
        store::OutboxItem item;
        item.message_id = message->id;
        item.recipient = id;
        item.recipient_ods = o ? o->ods_code : id;
        item.format = "referral";
        item.payload.assign(notice.GetString(), notice.GetSize());
        item.content_type = std::string(status_content_type);
        // One per step of the history, so a receiver deduplicates retries, not updates.
        item.idempotency_key = message->id + ':' + id + ":status:" + std::to_string(history.size());
        if (o && o->endpoint) item.endpoint_url = o->endpoint->url;
        writes.outbox.push_back(std::move(item));
        told_ods.push_back(o ? o->ods_code : id);
    }

    audit::AuditEvent e;
    e.action = audit::AuditAction::status_changed;
    e.actor_organisation = poster->ods_code;
    e.actor_client = principal.client;
    e.actor_role = std::string(role_of(principal));
    e.patient = message->nhs_number;
    e.message_id = message->id;
    e.referral_id = message->referral_id;
    e.recipient = ods_of(config, message->sender);
    e.outcome = std::string(audit::outcome::success);
    audit::Detail detail;
    detail.add("status", update.status);
    if (!update.service.empty()) detail.add("service", update.service);
    if (!update.reason.empty()) detail.add("reason", update.reason);
    detail.add("notified", told_ods);
    if (bouncing) detail.add("bouncing", true);
    e.detail = detail.text();
    writes.audit.push_back(std::move(e));

    rapidjson::StringBuffer buffer;
    {
        JsonWriter w(buffer);
        w.StartObject();
        field(w, "referral", message->id);
        field(w, "organisation", poster->ods_code);
        field(w, "status", update.status);
        key(w, "bouncing");
        w.Bool(bouncing);
        key(w, "notified");
        w.StartArray();
        for (const std::string& ods : told_ods) w.String(ods.data(), static_cast<rapidjson::SizeType>(ods.size()));
        w.EndArray();
        write_history(w, config, history);
        w.EndObject();
    }
    Response created = json_response(201, buffer);
    created.headers.emplace_back("Location", "/referrals/" + message->id + "/history");
    api.store.commit(std::move(writes), [created = std::move(created), queued = api.queued,
                                         reply = std::move(reply)](store::CommitResult result) mutable {
        if (result.error) return reply(store_unavailable());
        if (queued) queued();
        reply(std::move(created));
    });
}

void read_history(const Request&, const Principal& principal, std::string_view message_id, const StatusApi& api,
                  StatusReply reply) {
    if (!api.config) return reply(not_found());
    const config::Config& config = *api.config;
    std::error_code error;
    const auto message = api.store.find_message(message_id, error);
    if (error) return reply(store_unavailable());
    if (!message) return reply(not_found());
    const bool admin = principal.roles.has(config::Role::admin);
    const bool party = admin || is_party(api.store, *message, principal, error);
    if (error) return reply(store_unavailable());
    if (!party) return reply(not_found());
    const auto history = api.store.referral_history(message->id, error);
    if (error) return reply(store_unavailable());

    rapidjson::StringBuffer buffer;
    {
        JsonWriter w(buffer);
        w.StartObject();
        field(w, "referral", message->id);
        key(w, "bouncing");
        w.Bool(is_bouncing(history));
        write_history(w, config, history);
        w.EndObject();
    }
    Response page = json_response(200, buffer);

    // Every read of a referral is itself in the log, before the answer.
    audit::AuditEvent e;
    e.action = audit::AuditAction::read;
    e.actor_organisation = ods_of(config, principal.organisation);
    e.actor_client = principal.client;
    e.actor_role = admin ? "admin" : std::string(role_of(principal));
    e.patient = message->nhs_number;
    e.message_id = message->id;
    e.referral_id = message->referral_id;
    e.outcome = std::string(audit::outcome::success);
    e.detail = audit::Detail().add("via", "history").text();
    store::WriteSet writes;
    writes.audit.push_back(std::move(e));
    api.store.commit(std::move(writes),
                     [page = std::move(page), reply = std::move(reply)](store::CommitResult result) mutable {
                         reply(result.error ? store_unavailable() : std::move(page));
                     });
}

}  // namespace carebridge::gateway::http
