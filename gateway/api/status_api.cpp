#include "api/status_api.hpp"
#include "api/json_writer.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <memory>
#include <utility>

#include "audit/audit_event.hpp"
#include "audit/detail.hpp"
#include "fhir/decode_task.hpp"
#include "fhir/fhir_codec.hpp"
#include "fhir/partnership.hpp"
#include "fhir/uk_core.hpp"
#include "http/outcome.hpp"
#include "http/target.hpp"
#include "status/history.hpp"
#include "status/status_notice.hpp"

namespace carebridge::gateway::api {

using http::outcome_response;
namespace {


constexpr std::size_t longest_reason = 2000;  // a sentence or two; the history is not a case note
constexpr std::size_t longest_service = 64;

constexpr std::array statuses{"received",  "accepted",        "declined",  "waiting",
                              "contacted", "not-contactable", "completed", "discharged"};


bool is_message_id(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-')) return false;
    return true;
}


http::Response json_response(unsigned status, const rapidjson::StringBuffer& buffer) {
    http::Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body.assign(buffer.GetString(), buffer.GetSize());
    return r;
}

http::Response not_found() { return outcome_response(404, "error", "not-found", "no referral with that id"); }

http::Response store_unavailable() {
    http::Response r = outcome_response(503, "error", "transient", "the store is not reachable; retry shortly");
    r.headers.emplace_back("Retry-After", "1");
    return r;
}

struct StatusUpdate {
    std::string status, reason, service;
    // From a FHIR Task: the referral its focus names ("" when none), the
    // person its `for` names, and the Task itself to answer with.
    bool task = false;
    std::string focus_message_id;
    std::string for_nhs_number;
    std::string task_json;
    issues::IssueSink issues;  // what the Task decoder reported
};

std::string_view text_member(const rapidjson::Value& object, const char* name) {
    if (!object.IsObject()) return {};
    const auto m = object.FindMember(name);
    if (m == object.MemberEnd() || !m->value.IsString()) return {};
    return {m->value.GetString(), m->value.GetStringLength()};
}

// The partnership's word for a referral status a partner may set; empty for
// one only the originator sets (submitted, withdrawn).
std::string_view status_word(model::ReferralStatus status) {
    using model::ReferralStatus;
    switch (status) {
        case ReferralStatus::received: return "received";
        case ReferralStatus::accepted: return "accepted";
        case ReferralStatus::declined_by_service:
        case ReferralStatus::declined_by_person: return "declined";
        case ReferralStatus::waiting: return "waiting";
        case ReferralStatus::in_progress: return "contacted";
        case ReferralStatus::not_contactable: return "not-contactable";
        case ReferralStatus::completed: return "completed";
        case ReferralStatus::discharged: return "discharged";
        case ReferralStatus::submitted:
        case ReferralStatus::withdrawn: break;
    }
    return {};
}

// The last `ServiceRequest/{id}` of a reference, relative or absolute.
std::string service_request_id(std::string_view reference) {
    constexpr std::string_view type = "ServiceRequest/";
    const auto at = reference.rfind(type);
    if (at == std::string_view::npos || (at > 0 && reference[at - 1] != '/')) return {};
    const std::string_view id = reference.substr(at + type.size());
    return is_message_id(id) ? std::string(id) : std::string();
}

// A decoded FHIR R4 Task as a status update: status (with businessStatus from
// the partnership's referral-status system when the Task status alone is too
// coarse), focus → the ServiceRequest, statusReason, owner →
// HealthcareService/{service id}. The messages name the Task's elements, as a
// FHIR client reads them.
std::optional<http::Response> task_update(const fhir::DecodedTask& task, StatusUpdate& update) {
    update.task = true;
    const auto invalid = [](std::string text) { return outcome_response(422, "error", "invalid", std::move(text)); };
    const std::string_view status = task.status;
    if (status.empty()) return invalid("Task.status is required");
    if (task.intent.empty()) return invalid("Task.intent is required (\"order\" for a referral)");
    bool known = false;
    const std::optional<model::ReferralStatus> from_status = fhir::uk_core::status_from_task(status, known);
    if (!known) return invalid("Task.status '" + std::string(status) + "' is not an R4 Task status");
    if (!from_status) return invalid("a Task entered in error changes no referral's history");

    std::optional<model::ReferralStatus> decision;
    if (!task.business_status.empty()) {
        const fhir::partnership::Systems systems(fhir::default_partnership_base);
        for (const fhir::TaskCoding& coding : task.business_status)
            if (systems.is(coding.system, fhir::partnership::referral_status)) {
                decision = model::parse_code<model::ReferralStatus>(coding.code);
                if (!decision)
                    return invalid("Task.businessStatus '" + coding.code + "' is not a referral status of " +
                                   systems.url(fhir::partnership::referral_status));
                break;
            }
        // Both must tell one story: a rejected Task cannot be "accepted".
        if (decision && fhir::uk_core::task_status(*decision) != status && *from_status != *decision)
            return invalid("Task.status '" + std::string(status) + "' does not fit businessStatus '" +
                           std::string(model::to_string(*decision)) + "' (expected '" +
                           std::string(fhir::uk_core::task_status(*decision)) + "')");
    }
    if (!decision) decision = from_status;
    update.status = std::string(status_word(*decision));
    if (update.status.empty())
        return invalid("a partner cannot set a referral to '" + std::string(model::to_string(*decision)) + "'");

    update.reason = task.status_reason_text;
    if (update.reason.empty() && !task.status_reason.empty()) {
        const fhir::TaskCoding& first = task.status_reason.front();
        update.reason = !first.display.empty() ? first.display : first.code;
    }
    constexpr std::string_view service_type = "HealthcareService/";
    if (task.owner_reference.starts_with(service_type))
        update.service = task.owner_reference.substr(service_type.size());
    update.focus_message_id = service_request_id(task.focus_reference);
    if (!task.focus_reference.empty() && update.focus_message_id.empty())
        return invalid("Task.focus is a reference to ServiceRequest/{id}, the id the gateway gave the referral");
    if (task.for_system == fhir::uk_core::nhs_number_system) update.for_nhs_number = task.for_value;
    return std::nullopt;
}

// The update in the body — partnership JSON or a FHIR Task — or the 400 or
// 422 response when it is not one. `task_only` for POST /fhir/Task.
std::optional<http::Response> parse_update(const std::string& body, const config::Organisation& poster, bool task_only,
                                     StatusUpdate& update) {
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsObject())
        return outcome_response(400, "error", "invalid", "the body is not a JSON object");
    if (doc.HasMember("resourceType") || task_only) {
        if (text_member(doc, "resourceType") != "Task")
            return outcome_response(422, "error", "invalid", "a referral's status is posted as a FHIR Task");
        // Decoded leniently, as the other FHIR endpoints read: an element the
        // gateway does not read is a warning, kept in update.issues.
        const std::optional<fhir::DecodedTask> task = fhir::decode_task(body, codec::DecodeOptions{}, update.issues);
        // The body parsed above, so a refusal here is a limit (depth, string
        // length) or bad UTF-8: the decoder's fatal issue says which.
        if (!task)
            return outcome_response(400, "error", "invalid",
                                    update.issues.issues().empty() ? std::string("the body is not a FHIR Task")
                                                                   : update.issues.issues().front().message);
        if (auto bad = task_update(*task, update)) return bad;
        update.task_json = body;
    } else {
        const auto text = [&](const char* name, std::string& out) {
            const auto m = doc.FindMember(name);
            if (m == doc.MemberEnd() || m->value.IsNull()) return true;
            if (!m->value.IsString()) return false;
            out.assign(m->value.GetString(), m->value.GetStringLength());
            return true;
        };
        if (!text("status", update.status) || !is_referral_status(update.status))
            return outcome_response(422, "error", "invalid",
                                    "status is one of received, accepted, declined, waiting, contacted, "
                                    "not-contactable, completed, discharged");
        if (!text("reason", update.reason))
            return outcome_response(422, "error", "invalid", "reason is a string");
        if (!text("service", update.service))
            return outcome_response(422, "error", "invalid", "service is a service id");
    }
    if (update.reason.size() > longest_reason)
        return outcome_response(422, "error", "invalid",
                                "reason is at most " + std::to_string(longest_reason) + " bytes");
    if (update.service.size() > longest_service)
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

// The Task as posted, with the id of the history step it became: a FHIR
// client's create answers with the resource.
std::string task_reply(const std::string& task_json, const std::string& step_id, const std::string& time) {
    rapidjson::Document doc;
    doc.Parse(task_json.data(), task_json.size());
    auto& alloc = doc.GetAllocator();
    doc.RemoveMember("id");
    doc.AddMember("id", rapidjson::Value(step_id.c_str(), alloc), alloc);
    doc.RemoveMember("meta");
    rapidjson::Value meta(rapidjson::kObjectType);
    meta.AddMember("lastUpdated", rapidjson::Value(time.c_str(), alloc), alloc);
    doc.AddMember("meta", meta, alloc);
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    doc.Accept(w);
    return {buffer.GetString(), buffer.GetSize()};
}

// Whether the caller's organisation is a party to the message: its sender
// or one it was routed to. The recipients are read only when needed.
bool is_party(store::Store& store, const store::StoredMessage& message, const http::Principal& principal,
              std::error_code& error) {
    if (message.sender == principal.organisation) return true;
    const auto recipients = store.message_recipients(message.id, error);
    return std::find(recipients.begin(), recipients.end(), principal.organisation) != recipients.end();
}

std::string_view role_of(const http::Principal& principal) {
    return principal.roles.has(config::Role::partner) ? "partner" : "submitter";
}

}  // namespace

std::vector<Endpoint> status_endpoints(std::function<StatusApi()> api) {
    const auto declare = [&](std::string pattern, http::Method method, Access access, auto handler) {
        Endpoint e;
        e.pattern = std::move(pattern);
        e.methods = {method};
        e.access = access;
        e.route = http::RouteId::status;
        e.handler = [api, handler](http::Request request, const Screened& screened, EndpointReply reply) {
            handler(request, screened, api(), std::move(reply));
        };
        return e;
    };
    using config::Role;
    using R = const http::Request&;
    using S = const Screened&;
    using A = const StatusApi&;
    std::vector<Endpoint> endpoints;
    // A FHIR client posts status as a Task to the FHIR base; its focus names the referral.
    endpoints.push_back(declare("/fhir/Task", http::Method::post, Access::roles({Role::partner, Role::submitter}),
                                [](R r, S s, A a, StatusReply reply) {
                                    post_status(r, s.principal, {}, a, std::move(reply));
                                }));
    endpoints.push_back(declare("/referrals/{id}/status", http::Method::post,
                                Access::roles({Role::partner, Role::submitter}), [](R r, S s, A a, StatusReply reply) {
                                    post_status(r, s.principal, s.parameters.get("id"), a, std::move(reply));
                                }));
    endpoints.push_back(declare("/referrals/{id}/history", http::Method::get,
                                Access::roles({Role::partner, Role::submitter, Role::admin}),
                                [](R r, S s, A a, StatusReply reply) {
                                    read_history(r, s.principal, s.parameters.get("id"), a, std::move(reply));
                                }));
    return endpoints;
}

bool is_referral_status(std::string_view status) {
    return std::find(statuses.begin(), statuses.end(), status) != statuses.end();
}

void post_status(const http::Request& request, const http::Principal& principal, std::string_view path_message_id,
                 const StatusApi& api, StatusReply reply) {
    if (!api.config) return reply(not_found());
    const config::Config& config = *api.config;
    const config::Organisation* poster = config.organisation(principal.organisation);
    if (!poster) return reply(not_found());

    StatusUpdate update;
    const bool task_only = path_message_id.empty();  // POST /fhir/Task: the Task's focus names the referral
    if (auto bad = parse_update(request.body, *poster, task_only, update)) return reply(std::move(*bad));
    std::string message_id(path_message_id);
    if (task_only) {
        if (update.focus_message_id.empty())
            return reply(outcome_response(422, "error", "required",
                                          "Task.focus must reference the referral: {\"reference\": "
                                          "\"ServiceRequest/{id}\"}, the id in the inbox or the push"));
        message_id = update.focus_message_id;
    } else if (!update.focus_message_id.empty() && update.focus_message_id != message_id) {
        return reply(outcome_response(422, "error", "invalid", "Task.focus names another referral than the path"));
    }

    std::error_code error;
    const auto message = api.store.find_message(message_id, error);
    if (error) return reply(store_unavailable());
    if (!message) return reply(not_found());
    const bool party = is_party(api.store, *message, principal, error);
    if (error) return reply(store_unavailable());
    // Another organisation's referral is answered as absent: its existence is not ours to disclose.
    if (!party) return reply(not_found());
    // A Task about someone else must not land in this person's history.
    if (!update.for_nhs_number.empty() && update.for_nhs_number != message->nhs_number)
        return reply(outcome_response(422, "error", "invalid", "Task.for names another person than the referral"));

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
    const bool bouncing = status::is_bouncing(history);

    // Who hears of it: the originator, and the others named on the care plan.
    const std::vector<std::string> told = status::organisations_told(config, *message, poster->id);

    store::WriteSet writes;
    writes.history.push_back(step);
    const std::vector<std::string> told_ods =
        status::queue_status_notices(writes, config, *message, step, history, bouncing, told);
    // Once someone has taken it on, a red referral's timer has nothing to escalate.
    if (status::is_taken_on(update.status))
        writes.escalation_timers_done.push_back(message->id);

    audit::AuditEvent e;
    e.action = audit::AuditAction::status_changed;
    e.actor_organisation = poster->ods_code;
    e.actor_client = principal.client;
    e.actor_role = std::string(role_of(principal));
    e.patient = message->nhs_number;
    e.message_id = message->id;
    e.referral_id = message->referral_id;
    e.recipient = status::ods_code_of(config, message->sender);
    e.outcome = std::string(audit::outcome::success);
    audit::Detail detail;
    detail.add("status", update.status);
    if (!update.service.empty()) detail.add("service", update.service);
    if (!update.reason.empty()) detail.add("reason", update.reason);
    detail.add("notified", told_ods);
    if (bouncing) detail.add("bouncing", true);
    if (update.task) detail.add("as", "Task");
    e.detail = detail.text();
    writes.audit.push_back(std::move(e));

    http::Response created;
    if (update.task) {
        created.status = 201;
        created.content_type = "application/fhir+json";
        created.body = task_reply(update.task_json, message->id + "-" + std::to_string(history.size()), step.time);
    } else {
        rapidjson::StringBuffer buffer;
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
        status::write_history(w, config, history);
        w.EndObject();
        created = json_response(201, buffer);
    }
    created.headers.emplace_back("Location", "/referrals/" + message->id + "/history");
    api.store.commit(std::move(writes), [created = std::move(created), queued = api.queued,
                                         reply = std::move(reply)](store::CommitResult result) mutable {
        if (result.error) return reply(store_unavailable());
        if (queued) queued();
        reply(std::move(created));
    });
}

void read_history(const http::Request&, const http::Principal& principal, std::string_view message_id, const StatusApi& api,
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
        w.Bool(status::is_bouncing(history));
        status::write_history(w, config, history);
        w.EndObject();
    }
    http::Response page = json_response(200, buffer);

    // Every read of a referral is itself in the log, before the answer.
    audit::AuditEvent e;
    e.action = audit::AuditAction::read;
    e.actor_organisation = status::ods_code_of(config, principal.organisation);
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

}  // namespace carebridge::gateway::api
