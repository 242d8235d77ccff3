#include "api/triage_api.hpp"
#include "api/json_writer.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <utility>

#include "audit/audit_event.hpp"
#include "audit/detail.hpp"
#include "fhir/fhir_codec.hpp"
#include "fhir/partnership.hpp"
#include "fhir/uk_core.hpp"
#include "http/outcome.hpp"
#include "http/target.hpp"
#include "intake/disclosures.hpp"
#include "intake/plan.hpp"
#include "status/history.hpp"
#include "status/status_notice.hpp"
#include "store/store_error.hpp"
#include "translation/translator.hpp"

namespace carebridge::gateway::api {

using http::outcome_response;
namespace {


constexpr std::size_t default_page = 50;
constexpr std::size_t largest_page = 200;     // as the inbox and dead-letter lists
constexpr std::size_t longest_reason = 2000;  // a sentence or two for the sender, not a case note
constexpr std::size_t longest_id = 64;

// The gateway's own codes for where a triaged referral stands, beside the
// partnership's referral statuses in Task.businessStatus.
constexpr std::string_view triage_system = "/CodeSystem/referral-triage";


http::Response json_response(unsigned status, const rapidjson::StringBuffer& buffer,
                             std::string content_type = "application/json") {
    http::Response r;
    r.status = status;
    r.content_type = std::move(content_type);
    r.body.assign(buffer.GetString(), buffer.GetSize());
    return r;
}

http::Response not_found() { return outcome_response(404, "error", "not-found", "no triaged referral with that id"); }

http::Response store_unavailable() {
    http::Response r = outcome_response(503, "error", "transient", "the store is not reachable; retry shortly");
    r.headers.emplace_back("Retry-After", "1");
    return r;
}

http::Response not_open(const store::TriageItem& item) {
    return outcome_response(409, "error", "conflict",
                            "this referral has already been " + std::string(to_string(item.state)) +
                                "; nothing was changed");
}

// A string member of the body: absent and null read as empty; false when it is another type.
bool text_member(const rapidjson::Document& doc, const char* name, std::string& out) {
    const auto m = doc.FindMember(name);
    if (m == doc.MemberEnd() || m->value.IsNull()) return true;
    if (!m->value.IsString()) return false;
    out.assign(m->value.GetString(), m->value.GetStringLength());
    return true;
}

std::optional<http::Response> parse_body(const std::string& body, rapidjson::Document& doc) {
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsObject())
        return outcome_response(400, "error", "invalid", "the body is not a JSON object");
    return std::nullopt;
}

// The admin as the audit log names them.
intake::Actor admin_actor(const http::Principal& principal, const config::Config& config) {
    return intake::actor_of(principal, config, "admin");
}

// A step an admin took on a triaged referral: its history, the sender's
// notice, the audit entry, and the end of its escalation timer.
void record_step(store::WriteSet& writes, const config::Config& config, const store::StoredMessage& message,
                 const intake::Actor& actor, store::HistoryEntry step, std::vector<store::HistoryEntry> history,
                 audit::Detail detail) {
    history.push_back(step);
    writes.history.push_back(step);
    const std::vector<std::string> told = status::queue_status_notices(
        writes, config, message, step, history, status::is_bouncing(history), {message.sender});
    writes.escalation_timers_done.push_back(message.id);
    audit::AuditEvent e = intake::message_event(audit::AuditAction::status_changed, actor, message,
                                                audit::outcome::success, detail.add("notified", told).text());
    e.recipient = status::ods_code_of(config, message.sender);
    writes.audit.push_back(std::move(e));
}

// Commits an admin's step and answers `done`, or 409 when the item was
// disposed of meanwhile, 503 when the store failed.
void commit_step(const TriageApi& api, store::WriteSet writes, http::Response done, TriageReply reply) {
    api.store.commit(std::move(writes), [done = std::move(done), queued = api.queued,
                                         reply = std::move(reply)](store::CommitResult result) mutable {
        if (result.error == store::StoreErrc::triage_not_open)
            return reply(outcome_response(409, "error", "conflict",
                                          "this referral was re-routed or returned meanwhile; nothing was changed"));
        if (result.error) return reply(store_unavailable());
        if (queued) queued();
        reply(std::move(done));
    });
}

// The triaged item and its message, or the answer when either is not to be had.
struct Held {
    store::TriageItem item;
    store::StoredMessage message;
    std::vector<store::HistoryEntry> history;
};
std::optional<http::Response> find_held(const TriageApi& api, std::string_view message_id, Held& held) {
    std::error_code error;
    auto item = api.store.find_triage_item(message_id, error);
    if (error) return store_unavailable();
    if (!item) return not_found();
    auto message = api.store.find_message(message_id, error);
    if (error) return store_unavailable();
    if (!message) return not_found();
    held.history = api.store.referral_history(message_id, error);
    if (error) return store_unavailable();
    held.item = std::move(*item);
    held.message = std::move(*message);
    return std::nullopt;
}

// The service an admin named: by id at the organisation named, or by id
// alone when exactly one organisation runs a service of that id.
struct Chosen {
    const config::Organisation* organisation = nullptr;
    const config::Service* service = nullptr;
};
std::optional<http::Response> choose_service(const config::Config& config, const std::string& organisation,
                                             const std::string& service, Chosen& chosen) {
    const auto invalid = [](std::string text) { return outcome_response(422, "error", "invalid", std::move(text)); };
    if (service.empty()) return invalid("service is required: the id of the service to route the referral to");
    if (!organisation.empty()) {
        chosen.organisation = config.organisation(organisation);
        if (!chosen.organisation) return invalid("'" + organisation + "' is not an organisation of the partnership");
        chosen.service = chosen.organisation->service(service);
        if (!chosen.service) return invalid("'" + service + "' is not a service of " + chosen.organisation->id);
        return std::nullopt;
    }
    std::size_t found = 0;
    for (const config::Organisation& o : config.organisations)
        for (const config::Service& s : o.services)
            if (s.id == service) {
                ++found;
                chosen = {&o, &s};
            }
    if (found == 0) return invalid("no organisation runs a service '" + service + "'");
    if (found > 1) return invalid("several organisations run a service '" + service + "': name the organisation too");
    return std::nullopt;
}

// The Task a submitter polls: where the referral stands, from its triage
// item and its history.
std::string task_of(const config::Config& config, const store::StoredMessage& message,
                    const std::optional<store::TriageItem>& item, const std::vector<store::HistoryEntry>& history) {
    const fhir::partnership::Systems systems(fhir::default_partnership_base);
    std::string status = "requested", business_system = systems.url(triage_system), business = "routed";
    std::string status_reason, owner, last_updated = message.received_at;
    if (item) {
        last_updated = item->updated_at;
        if (item->state == store::TriageState::open) {
            status = "received";
            business = "triage";
            status_reason = item->reason;
        } else if (item->state == store::TriageState::returned) {
            status = "rejected";
            business = "returned";
            status_reason = item->return_reason;
        } else {
            owner = item->service;
        }
    }
    // Once it has gone somewhere, what its service said of it last is where it stands.
    if (!item || item->state == store::TriageState::rerouted) {
        for (auto it = history.rbegin(); it != history.rend(); ++it) {
            if (it->organisation == status::gateway_actor) continue;
            std::string_view word = it->status;
            if (word == "declined") word = "declined-by-service";
            if (word == "contacted") word = "in-progress";
            if (const auto s = model::parse_code<model::ReferralStatus>(word)) {
                status = std::string(fhir::uk_core::task_status(*s));
                business_system = systems.url(fhir::partnership::referral_status);
                business = std::string(model::to_string(*s));
                status_reason = it->reason;
                if (!it->service.empty()) owner = it->service;
                last_updated = it->time;
            }
            break;
        }
    }

    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    field(w, "resourceType", "Task");
    field(w, "id", message.id);
    key(w, "meta");
    w.StartObject();
    field(w, "lastUpdated", last_updated);
    w.EndObject();
    field(w, "status", status);
    key(w, "businessStatus");
    w.StartObject();
    key(w, "coding");
    w.StartArray();
    w.StartObject();
    field(w, "system", business_system);
    field(w, "code", business);
    w.EndObject();
    w.EndArray();
    field(w, "text", business);
    w.EndObject();
    if (!status_reason.empty()) {
        key(w, "statusReason");
        w.StartObject();
        field(w, "text", status_reason);
        w.EndObject();
    }
    field(w, "intent", "order");
    key(w, "focus");
    w.StartObject();
    field(w, "reference", "ServiceRequest/" + message.id);
    w.EndObject();
    if (!message.nhs_number.empty()) {
        key(w, "for");
        w.StartObject();
        key(w, "identifier");
        w.StartObject();
        field(w, "system", fhir::uk_core::nhs_number_system);
        field(w, "value", message.nhs_number);
        w.EndObject();
        w.EndObject();
    }
    field(w, "authoredOn", message.received_at);
    key(w, "requester");
    w.StartObject();
    key(w, "identifier");
    w.StartObject();
    field(w, "system", "https://fhir.nhs.uk/Id/ods-organization-code");
    field(w, "value", status::ods_code_of(config, message.sender));
    w.EndObject();
    w.EndObject();
    if (!owner.empty()) {
        key(w, "owner");
        w.StartObject();
        field(w, "reference", "HealthcareService/" + owner);
        w.EndObject();
    }
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

std::vector<Endpoint> triage_endpoints(std::function<TriageApi()> api) {
    const auto declare = [&](std::string pattern, http::Method method, Access access, http::RouteId route,
                             auto handler) {
        Endpoint e;
        e.pattern = std::move(pattern);
        e.methods = {method};
        e.access = access;
        e.route = route;
        e.handler = [api, handler](http::Request request, const Screened& screened, EndpointReply reply) {
            handler(request, screened, api(), std::move(reply));
        };
        return e;
    };
    using config::Role;
    using R = const http::Request&;
    using S = const Screened&;
    using A = const TriageApi&;
    std::vector<Endpoint> endpoints;
    // The queue is the partnership's to work through: admins only.
    endpoints.push_back(declare("/triage", http::Method::get, Access::roles({Role::admin}), http::RouteId::admin,
                                [](R r, S s, A a, TriageReply reply) { list_triage(r, s.principal, a, std::move(reply)); }));
    endpoints.push_back(declare("/triage/{id}/$reroute", http::Method::post, Access::roles({Role::admin}),
                                http::RouteId::admin, [](R r, S s, A a, TriageReply reply) {
                                    reroute_triage(r, s.principal, s.parameters.get("id"), a, std::move(reply));
                                }));
    endpoints.push_back(declare("/triage/{id}/$return", http::Method::post, Access::roles({Role::admin}),
                                http::RouteId::admin, [](R r, S s, A a, TriageReply reply) {
                                    return_triage(r, s.principal, s.parameters.get("id"), a, std::move(reply));
                                }));
    // The sender polls where its referral stands; the handler narrows it to the sender's own.
    endpoints.push_back(declare("/fhir/Task/{id}", http::Method::get, Access::roles({Role::submitter, Role::admin}),
                                http::RouteId::status, [](R r, S s, A a, TriageReply reply) {
                                    read_task(r, s.principal, s.parameters.get("id"), a, std::move(reply));
                                }));
    return endpoints;
}

void list_triage(const http::Request& request, const http::Principal& principal, const TriageApi& api,
                 TriageReply reply) {
    if (!principal.roles.has(config::Role::admin) || !api.config)
        return reply(outcome_response(403, "error", "forbidden", "the triage queue is for admins"));
    store::TriageQuery query;
    if (const auto after = http::query_value(request.target, "after")) {
        const auto value = http::parse_count(*after);
        if (!value) return reply(outcome_response(400, "error", "invalid", "after= takes the cursor of a page's item"));
        query.after_seq = *value;
    }
    std::size_t wanted = default_page;
    if (const auto limit = http::query_value(request.target, "limit")) {
        const auto value = http::parse_count(*limit);
        if (!value || *value == 0 || *value > largest_page)
            return reply(outcome_response(400, "error", "invalid", "limit= takes 1.." + std::to_string(largest_page)));
        wanted = static_cast<std::size_t>(*value);
    }
    if (const auto state = http::query_value(request.target, "state"); state && !state->empty()) {
        query.state = store::parse_triage_state(*state);
        if (!query.state)
            return reply(outcome_response(400, "error", "invalid", "state= is one of open, rerouted, returned"));
    }
    // One more than the page: whether another follows it.
    query.limit = wanted + 1;
    std::error_code error;
    auto items = api.store.find_triage_items(query, error);
    if (error) return reply(store_unavailable());
    const bool more = items.size() > wanted;
    if (more) items.resize(wanted);

    const config::Config& config = *api.config;
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    key(w, "items");
    w.StartArray();
    for (const store::TriageItem& item : items) {
        w.StartObject();
        field(w, "id", item.message_id);
        field(w, "cursor", std::to_string(item.seq));
        field(w, "state", to_string(item.state));
        field(w, "kind", item.kind);
        field(w, "reason", item.reason);
        field(w, "sender", item.sender);
        field(w, "sender_ods", status::ods_code_of(config, item.sender));
        field(w, "referral_id", item.referral_id);
        field(w, "received_at", item.received_at);
        field(w, "created_at", item.created_at);
        field(w, "updated_at", item.updated_at);
        field(w, "organisation", item.organisation);
        field(w, "service", item.service);
        field(w, "return_reason", item.return_reason);
        field(w, "task", intake::task_location(item.message_id));
        w.EndObject();
    }
    w.EndArray();
    key(w, "next");
    if (more)
        string(w, std::to_string(items.back().seq));
    else
        w.Null();
    w.EndObject();
    http::Response page = json_response(200, buffer);

    // Who looked at the queue is in the log, before the answer; the page names no patient.
    audit::AuditEvent e;
    e.action = audit::AuditAction::read;
    const intake::Actor actor = admin_actor(principal, config);
    e.actor_organisation = actor.ods;
    e.actor_client = actor.client;
    e.actor_role = actor.role;
    e.outcome = std::string(audit::outcome::success);
    e.detail = audit::Detail().add("via", "triage").add("items", items.size()).text();
    store::WriteSet writes;
    writes.audit.push_back(std::move(e));
    api.store.commit(std::move(writes),
                     [page = std::move(page), reply = std::move(reply)](store::CommitResult result) mutable {
                         reply(result.error ? store_unavailable() : std::move(page));
                     });
}

void reroute_triage(const http::Request& request, const http::Principal& principal, std::string_view message_id,
                    const TriageApi& api, TriageReply reply) {
    if (!principal.roles.has(config::Role::admin) || !api.config)
        return reply(outcome_response(403, "error", "forbidden", "the triage queue is for admins"));
    const config::Config& config = *api.config;
    rapidjson::Document doc;
    if (auto bad = parse_body(request.body, doc)) return reply(std::move(*bad));
    std::string organisation, service, note;
    if (!text_member(doc, "organisation", organisation) || !text_member(doc, "service", service) ||
        !text_member(doc, "note", note) || organisation.size() > longest_id || service.size() > longest_id)
        return reply(outcome_response(422, "error", "invalid",
                                      "the body is {\"service\": ID, \"organisation\": ID, \"note\": TEXT}, ids of "
                                      "at most " + std::to_string(longest_id) + " bytes"));
    if (note.size() > longest_reason)
        return reply(outcome_response(422, "error", "invalid",
                                      "note is at most " + std::to_string(longest_reason) + " bytes"));
    Chosen chosen;
    if (auto bad = choose_service(config, organisation, service, chosen)) return reply(std::move(*bad));
    if (!api.directory)
        return reply(outcome_response(422, "error", "business-rule",
                                      "this gateway routes nothing (no partnership directory): nothing can be re-routed"));

    Held held;
    if (auto missing = find_held(api, message_id, held)) return reply(std::move(*missing));
    if (held.item.state != store::TriageState::open) return reply(not_open(held.item));
    const store::StoredMessage& message = held.message;
    if (message.payload.empty())
        return reply(outcome_response(410, "error", "deleted",
                                      "this referral's content was purged after the partnership's retention period; "
                                      "return it to its sender instead"));
    const auto source = translation::parse_format(message.source_format);
    issues::IssueSink sink;
    codec::DecodeOptions options;
    options.limits.max_document_bytes = std::max(options.limits.max_document_bytes, message.payload.size());
    auto record = source ? translation::decode_document(*source, message.payload, options, sink) : std::nullopt;
    if (!record) return reply(outcome_response(500, "fatal", "exception", "the stored referral no longer decodes"));

    // The admin's choice stands in for the targets the directory could not
    // follow; routing rules, agreements, consent and minimisation apply as
    // they would have to the sender's own choice.
    for (model::Referral& referral : record->referrals)
        referral.targets = {model::Target{chosen.organisation->ods_code, chosen.service->id}};
    const intake::Actor actor = admin_actor(principal, config);
    intake::DisclosurePlan plan = intake::plan_disclosures(*record, message, actor, message.sender, *api.directory,
                                                           std::chrono::system_clock::now());
    store::WriteSet writes;
    writes.audit = std::move(plan.audit);
    if (plan.refusal) {
        // The decisions are on the record; the item waits for another choice.
        http::Response refused = outcome_response(422, "error", "business-rule", plan.refusal->message);
        return api.store.commit(std::move(writes), [refused = std::move(refused),
                                                    reply = std::move(reply)](store::CommitResult result) mutable {
            reply(result.error ? store_unavailable() : std::move(refused));
        });
    }
    writes.outbox = std::move(plan.outbox);
    writes.triage_updates.push_back(
        {message.id, store::TriageState::rerouted, chosen.organisation->id, chosen.service->id, {}});
    store::HistoryEntry step;
    step.message_id = message.id;
    step.organisation = std::string(status::gateway_actor);
    step.service = chosen.service->id;
    step.status = "rerouted";
    step.reason = "re-routed from triage to " + chosen.organisation->name + " (" + chosen.service->name + ")" +
                  (note.empty() ? std::string() : ": " + note);
    step.time = audit::now_instant();
    audit::Detail detail;
    detail.add("status", "rerouted").add("organisation", chosen.organisation->ods_code).add("service", chosen.service->id);
    if (!note.empty()) detail.add("note", note);
    record_step(writes, config, message, actor, std::move(step), std::move(held.history), std::move(detail));

    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    field(w, "id", message.id);
    field(w, "state", "rerouted");
    field(w, "organisation", chosen.organisation->id);
    field(w, "service", chosen.service->id);
    field(w, "task", intake::task_location(message.id));
    key(w, "disclosures");
    w.StartArray();
    for (const std::string& line : plan.notes) string(w, line);
    w.EndArray();
    w.EndObject();
    commit_step(api, std::move(writes), json_response(200, buffer), std::move(reply));
}

void return_triage(const http::Request& request, const http::Principal& principal, std::string_view message_id,
                   const TriageApi& api, TriageReply reply) {
    if (!principal.roles.has(config::Role::admin) || !api.config)
        return reply(outcome_response(403, "error", "forbidden", "the triage queue is for admins"));
    const config::Config& config = *api.config;
    rapidjson::Document doc;
    if (auto bad = parse_body(request.body, doc)) return reply(std::move(*bad));
    std::string reason;
    if (!text_member(doc, "reason", reason) || reason.empty() || reason.size() > longest_reason)
        return reply(outcome_response(422, "error", "invalid",
                                      "reason is required: why the referral goes back to its sender, at most " +
                                          std::to_string(longest_reason) + " bytes"));
    Held held;
    if (auto missing = find_held(api, message_id, held)) return reply(std::move(*missing));
    if (held.item.state != store::TriageState::open) return reply(not_open(held.item));

    store::WriteSet writes;
    writes.triage_updates.push_back({held.message.id, store::TriageState::returned, {}, {}, reason});
    store::HistoryEntry step;
    step.message_id = held.message.id;
    step.organisation = std::string(status::gateway_actor);
    step.status = "returned";
    step.reason = reason;
    step.time = audit::now_instant();
    record_step(writes, config, held.message, admin_actor(principal, config), std::move(step), std::move(held.history),
                std::move(audit::Detail().add("status", "returned").add("reason", reason)));

    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    field(w, "id", held.message.id);
    field(w, "state", "returned");
    field(w, "reason", reason);
    field(w, "task", intake::task_location(held.message.id));
    w.EndObject();
    commit_step(api, std::move(writes), json_response(200, buffer), std::move(reply));
}

void read_task(const http::Request&, const http::Principal& principal, std::string_view message_id,
               const TriageApi& api, TriageReply reply) {
    if (!api.config) return reply(not_found());
    const config::Config& config = *api.config;
    std::error_code error;
    const auto message = api.store.find_message(message_id, error);
    if (error) return reply(store_unavailable());
    const bool admin = principal.roles.has(config::Role::admin);
    // Another organisation's referral is answered as absent: its existence is not ours to disclose.
    if (!message || (!admin && message->sender != principal.organisation)) return reply(not_found());
    const auto item = api.store.find_triage_item(message_id, error);
    if (error) return reply(store_unavailable());
    const auto history = api.store.referral_history(message_id, error);
    if (error) return reply(store_unavailable());

    http::Response task;
    task.status = 200;
    task.content_type = "application/fhir+json";
    task.body = task_of(config, *message, item, history);
    task.headers.emplace_back("Content-Location", intake::task_location(message->id));

    // The poll names the patient: it is a read, in the log before the answer.
    audit::AuditEvent e = intake::message_event(audit::AuditAction::read,
                                                intake::actor_of(principal, config, admin ? "admin" : "submitter"),
                                                *message, audit::outcome::success,
                                                audit::Detail().add("via", "Task").text());
    store::WriteSet writes;
    writes.audit.push_back(std::move(e));
    api.store.commit(std::move(writes),
                     [task = std::move(task), reply = std::move(reply)](store::CommitResult result) mutable {
                         reply(result.error ? store_unavailable() : std::move(task));
                     });
}

}  // namespace carebridge::gateway::api
