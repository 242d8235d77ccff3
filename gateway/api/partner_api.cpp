#include "api/partner_api.hpp"
#include "api/json_writer.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <utility>
#include <vector>

#include "audit/audit_event.hpp"
#include "audit/detail.hpp"
#include "http/outcome.hpp"
#include "http/target.hpp"

namespace carebridge::gateway::api {

using http::outcome_response;
namespace {


constexpr std::size_t default_page = 50;
constexpr std::size_t largest_page = 200;        // a page a polling script or a browser takes at once
constexpr std::size_t largest_bulk_retry = 10'000;  // one commit; the answer says how many remain

using http::query_value;

using http::parse_count;


http::Response json_response(unsigned status, const rapidjson::StringBuffer& buffer) {
    http::Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body.assign(buffer.GetString(), buffer.GetSize());
    return r;
}

http::Response not_found(std::string_view what) { return outcome_response(404, "error", "not-found", what); }

http::Response store_unavailable() {
    http::Response r = outcome_response(503, "error", "transient", "the store is not reachable; retry shortly");
    r.headers.emplace_back("Retry-After", "1");
    return r;
}

// The organisation the path names, when it is the caller's own: by id, ODS
// code or alias, so a partner may use any of its names. nullptr otherwise.
const config::Organisation* own_organisation(const config::Config& config, const http::Principal& principal,
                                             std::string_view organisation) {
    const config::Organisation* named = config.organisation(organisation);
    if (!named || named->id != principal.organisation) return nullptr;
    return named;
}

std::string ods_of(const config::Config& config, std::string_view organisation) {
    const config::Organisation* o = config.organisation(organisation);
    return o ? o->ods_code : std::string(organisation);
}

audit::AuditEvent event_for(const store::OutboxItem& item, audit::AuditAction action, const http::Principal& principal,
                            std::string actor_ods, std::string_view role) {
    audit::AuditEvent e;
    e.action = action;
    e.actor_organisation = std::move(actor_ods);
    e.actor_client = principal.client;
    e.actor_role = std::string(role);
    e.patient = item.patient;
    e.message_id = item.message_id;
    e.referral_id = item.referral_id;
    e.recipient = item.recipient_ods.empty() ? item.recipient : item.recipient_ods;
    e.outcome = std::string(audit::outcome::success);
    return e;
}

bool is_json_type(std::string_view content_type) {
    const std::string_view essence = content_type.substr(0, content_type.find(';'));
    return essence.ends_with("/json") || essence.ends_with("+json");
}

// The document as JSON when it is JSON and parses (it was written by the
// gateway's own encoders), else as a string, so the page is always valid JSON.
void write_document(JsonWriter& w, const store::OutboxItem& item) {
    if (is_json_type(item.content_type)) {
        rapidjson::Document check;
        check.Parse(item.payload.data(), item.payload.size());
        if (!check.HasParseError()) {
            w.RawValue(item.payload.data(), item.payload.size(), check.GetType());
            return;
        }
    }
    string(w, item.payload);
}

void write_next(JsonWriter& w, bool more, std::uint64_t last_seq) {
    key(w, "next");
    if (more)
        string(w, std::to_string(last_seq));
    else
        w.Null();
}

// The cursor and page size a list request asks for; a 400 response when they are malformed.
std::optional<http::Response> page_of(const http::Request& request, store::OutboxQuery& query) {
    if (const auto after = query_value(request.target, "after")) {
        const auto value = parse_count(*after);
        if (!value) return outcome_response(400, "error", "invalid", "after= takes the cursor of a page's item");
        query.after_seq = *value;
    }
    query.limit = default_page;
    if (const auto limit = query_value(request.target, "limit")) {
        const auto value = parse_count(*limit);
        if (!value || *value == 0 || *value > largest_page)
            return outcome_response(400, "error", "invalid",
                                    "limit= takes 1.." + std::to_string(largest_page));
        query.limit = static_cast<std::size_t>(*value);
    }
    return std::nullopt;
}

void commit_then(store::Store& store, store::WriteSet writes,
                 std::function<void(const store::CommitResult&)> then) {
    store.commit(std::move(writes), [then = std::move(then)](store::CommitResult result) { then(result); });
}

// One page of `query` and whether another follows it: one item more than the
// page is asked for, so no second query is needed to say so.
std::vector<store::OutboxItem> read_page(const PartnerApi& api, store::OutboxQuery query, bool& more,
                                         std::error_code& error) {
    const std::size_t wanted = query.limit;
    query.limit = wanted + 1;
    auto items = api.store.find_outbox_items(query, error);
    more = items.size() > wanted;
    if (more) items.resize(wanted);
    return items;
}

}  // namespace

std::vector<Endpoint> partner_endpoints(std::function<PartnerApi()> api) {
    using R = const http::Request&;
    using S = const Screened&;
    using A = const PartnerApi&;
    const auto declare = [&](std::string pattern, http::Method method, config::Role role, http::RouteId route,
                             auto handler) {
        Endpoint e;
        e.pattern = std::move(pattern);
        e.methods = {method};
        e.access = Access::roles({role});
        e.route = route;
        e.handler = [api, handler](http::Request request, const Screened& screened, EndpointReply reply) {
            handler(request, screened, api(), std::move(reply));
        };
        return e;
    };
    std::vector<Endpoint> endpoints;
    endpoints.push_back(declare("/partners/{org}/inbox", http::Method::get, config::Role::partner,
                                http::RouteId::partners, [](R r, S s, A a, PartnerReply reply) {
                                    list_inbox(r, s.principal, s.parameters.get("org"), a, std::move(reply));
                                }));
    endpoints.push_back(declare("/partners/{org}/inbox/{id}/ack", http::Method::post, config::Role::partner,
                                http::RouteId::partners, [](R r, S s, A a, PartnerReply reply) {
                                    ack_inbox_item(r, s.principal, s.parameters.get("org"), s.parameters.get("id"),
                                                   a, std::move(reply));
                                }));
    endpoints.push_back(declare("/admin/dead-letters", http::Method::get, config::Role::admin, http::RouteId::admin,
                                [](R r, S s, A a, PartnerReply reply) {
                                    list_dead_letters(r, s.principal, a, std::move(reply));
                                }));
    endpoints.push_back(declare("/admin/dead-letters/retry", http::Method::post, config::Role::admin,
                                http::RouteId::admin, [](R r, S s, A a, PartnerReply reply) {
                                    retry_dead_letters(r, s.principal, a, std::move(reply));
                                }));
    endpoints.push_back(declare("/admin/dead-letters/{id}/retry", http::Method::post, config::Role::admin,
                                http::RouteId::admin, [](R r, S s, A a, PartnerReply reply) {
                                    retry_dead_letter(r, s.principal, s.parameters.get("id"), a, std::move(reply));
                                }));
    return endpoints;
}

void list_inbox(const http::Request& request, const http::Principal& principal, std::string_view organisation,
                const PartnerApi& api, PartnerReply reply) {
    if (!principal.roles.has(config::Role::partner) || !api.config)
        return reply(not_found("no such inbox"));
    const config::Organisation* own = own_organisation(*api.config, principal, organisation);
    if (!own) return reply(not_found("no such inbox"));

    store::OutboxQuery query;
    query.recipient = own->id;
    if (auto bad = page_of(request, query)) return reply(std::move(*bad));
    std::error_code error;
    bool more = false;
    auto items = read_page(api, query, more, error);
    if (error) return reply(store_unavailable());

    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    key(w, "items");
    w.StartArray();
    for (const store::OutboxItem& item : items) {
        w.StartObject();
        field(w, "id", item.id);
        field(w, "cursor", std::to_string(item.seq));
        field(w, "message_id", item.message_id);
        field(w, "service", item.service);
        field(w, "created_at", item.created_at);
        field(w, "state", store::to_string(item.state));
        field(w, "format", item.format);
        field(w, "content_type", item.content_type);
        key(w, "document");
        write_document(w, item);
        w.EndObject();
    }
    w.EndArray();
    write_next(w, more, items.empty() ? query.after_seq : items.back().seq);
    w.EndObject();
    http::Response page = json_response(200, buffer);
    if (items.empty()) return reply(std::move(page));

    // Each item read is a disclosure the audit log must hold before it is made.
    store::WriteSet writes;
    for (const store::OutboxItem& item : items) {
        audit::AuditEvent e = event_for(item, audit::AuditAction::read, principal, own->ods_code, "partner");
        e.detail = audit::Detail().add("outbox_id", item.id).add("via", "inbox").text();
        writes.audit.push_back(std::move(e));
    }
    commit_then(api.store, std::move(writes),
                [page = std::move(page), reply = std::move(reply)](const store::CommitResult& result) mutable {
                    reply(result.error ? store_unavailable() : std::move(page));
                });
}

void ack_inbox_item(const http::Request&, const http::Principal& principal, std::string_view organisation,
                    std::string_view item_id, const PartnerApi& api, PartnerReply reply) {
    if (!principal.roles.has(config::Role::partner) || !api.config) return reply(not_found("no such inbox item"));
    const config::Organisation* own = own_organisation(*api.config, principal, organisation);
    if (!own) return reply(not_found("no such inbox item"));
    std::error_code error;
    auto item = api.store.find_outbox_item(item_id, error);
    if (error) return reply(store_unavailable());
    // Another organisation's item is answered as absent: its existence is not ours to disclose.
    if (!item || item->recipient != own->id) return reply(not_found("no such inbox item"));

    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    field(w, "id", item->id);
    field(w, "state", "acknowledged");
    w.EndObject();
    http::Response done = json_response(200, buffer);
    if (item->state == store::OutboxState::acknowledged) return reply(std::move(done));  // a repeat

    store::WriteSet writes;
    store::OutboxUpdate update;
    update.id = item->id;
    update.only_from = {store::OutboxState::pending, store::OutboxState::delivered, store::OutboxState::dead};
    update.state = store::OutboxState::acknowledged;
    writes.outbox_updates.push_back(std::move(update));
    audit::AuditEvent e = event_for(*item, audit::AuditAction::delivered, principal, own->ods_code, "partner");
    e.detail = audit::Detail().add("outbox_id", item->id).add("via", "inbox-ack").text();
    writes.audit.push_back(std::move(e));
    // An acknowledgement racing another one finds the item acknowledged already: the same answer.
    commit_then(api.store, std::move(writes),
                [done = std::move(done), reply = std::move(reply)](const store::CommitResult& result) mutable {
                    reply(result.error ? store_unavailable() : std::move(done));
                });
}

void list_dead_letters(const http::Request& request, const http::Principal& principal, const PartnerApi& api,
                       PartnerReply reply) {
    if (!principal.roles.has(config::Role::admin) || !api.config)
        return reply(outcome_response(403, "error", "forbidden", "dead letters are for admins"));
    store::OutboxQuery query;
    query.state = store::OutboxState::dead;
    query.with_payload = false;  // an admin sees where and why, not what
    if (const auto recipient = query_value(request.target, "recipient"); recipient && !recipient->empty()) {
        const config::Organisation* o = api.config->organisation(*recipient);
        query.recipient = o ? o->id : std::string(*recipient);  // a removed organisation's letters stay listable
    }
    if (auto bad = page_of(request, query)) return reply(std::move(*bad));
    std::error_code error;
    const std::uint64_t count = api.store.count_outbox_items(query, error);
    if (error) return reply(store_unavailable());
    bool more = false;
    auto items = read_page(api, query, more, error);
    if (error) return reply(store_unavailable());

    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    key(w, "count");
    w.Uint64(count);
    key(w, "items");
    w.StartArray();
    for (const store::OutboxItem& item : items) {
        w.StartObject();
        field(w, "id", item.id);
        field(w, "cursor", std::to_string(item.seq));
        field(w, "message_id", item.message_id);
        field(w, "recipient", item.recipient);
        field(w, "recipient_ods", item.recipient_ods);
        field(w, "service", item.service);
        field(w, "created_at", item.created_at);
        key(w, "attempts");
        w.Uint(item.attempts);
        field(w, "last_error", item.last_error);
        w.EndObject();
    }
    w.EndArray();
    write_next(w, more, items.empty() ? query.after_seq : items.back().seq);
    w.EndObject();
    reply(json_response(200, buffer));
}

namespace {

// The update and audit entry that put a dead letter back in the queue.
void add_retry(store::WriteSet& writes, const store::OutboxItem& item, const http::Principal& principal,
               const std::string& actor_ods) {
    store::OutboxUpdate update;
    update.id = item.id;
    update.only_from = {store::OutboxState::dead};
    update.state = store::OutboxState::pending;
    update.attempts = 0;
    update.next_attempt_at = std::chrono::system_clock::time_point{};  // due at once
    writes.outbox_updates.push_back(std::move(update));
    audit::AuditEvent e = event_for(item, audit::AuditAction::retried, principal, actor_ods, "admin");
    e.detail = audit::Detail()
                   .add("outbox_id", item.id)
                   .add("attempts_before", item.attempts)
                   .add("last_error", item.last_error)
                   .text();
    writes.audit.push_back(std::move(e));
}

}  // namespace

void retry_dead_letter(const http::Request&, const http::Principal& principal, std::string_view item_id, const PartnerApi& api,
                       PartnerReply reply) {
    if (!principal.roles.has(config::Role::admin) || !api.config)
        return reply(outcome_response(403, "error", "forbidden", "dead letters are for admins"));
    std::error_code error;
    auto item = api.store.find_outbox_item(item_id, error);
    if (error) return reply(store_unavailable());
    if (!item) return reply(not_found("no such outbox item"));
    if (item->state != store::OutboxState::dead)
        return reply(outcome_response(409, "error", "conflict",
                                      "outbox item " + item->id + " is " + std::string(store::to_string(item->state)) +
                                          ", not a dead letter"));
    store::WriteSet writes;
    add_retry(writes, *item, principal, ods_of(*api.config, principal.organisation));
    commit_then(api.store, std::move(writes),
                [id = item->id, requeued = api.requeued, reply = std::move(reply)](const store::CommitResult& result) {
                    if (result.error) return reply(store_unavailable());
                    if (result.outbox_updated.empty() || !result.outbox_updated.front())
                        return reply(outcome_response(409, "error", "conflict",
                                                      "outbox item " + id + " is no longer a dead letter"));
                    if (requeued) requeued();
                    rapidjson::StringBuffer buffer;
                    JsonWriter w(buffer);
                    w.StartObject();
                    field(w, "id", id);
                    field(w, "state", "pending");
                    w.EndObject();
                    reply(json_response(200, buffer));
                });
}

void retry_dead_letters(const http::Request& request, const http::Principal& principal, const PartnerApi& api,
                        PartnerReply reply) {
    if (!principal.roles.has(config::Role::admin) || !api.config)
        return reply(outcome_response(403, "error", "forbidden", "dead letters are for admins"));
    const auto named = query_value(request.target, "recipient");
    if (!named || named->empty())
        return reply(outcome_response(400, "error", "required",
                                      "name the recipient: /admin/dead-letters/retry?recipient=ORG "
                                      "(GET /admin/dead-letters?recipient=ORG shows how many)"));
    const config::Organisation* o = api.config->organisation(*named);
    store::OutboxQuery query;
    query.recipient = o ? o->id : std::string(*named);
    query.state = store::OutboxState::dead;
    query.with_payload = false;
    query.limit = 1000;
    store::WriteSet writes;
    const std::string actor_ods = ods_of(*api.config, principal.organisation);
    std::error_code error;
    const std::uint64_t before = api.store.count_outbox_items(query, error);
    if (error) return reply(store_unavailable());
    while (writes.outbox_updates.size() < largest_bulk_retry) {
        auto page = api.store.find_outbox_items(query, error);
        if (error) return reply(store_unavailable());
        for (const store::OutboxItem& item : page) {
            if (writes.outbox_updates.size() >= largest_bulk_retry) break;
            add_retry(writes, item, principal, actor_ods);
        }
        if (page.size() < query.limit) break;
        query.after_seq = page.back().seq;
    }
    const auto answer = [recipient = query.recipient](std::uint64_t requeued, std::uint64_t remaining) {
        rapidjson::StringBuffer buffer;
        JsonWriter w(buffer);
        w.StartObject();
        field(w, "recipient", recipient);
        key(w, "requeued");
        w.Uint64(requeued);
        key(w, "remaining");
        w.Uint64(remaining);
        w.EndObject();
        return json_response(200, buffer);
    };
    if (writes.outbox_updates.empty()) return reply(answer(0, 0));
    commit_then(api.store, std::move(writes),
                [answer, before, requeued = api.requeued, reply = std::move(reply)](const store::CommitResult& result) {
                    if (result.error) return reply(store_unavailable());
                    std::uint64_t count = 0;
                    for (bool applied : result.outbox_updated) count += applied ? 1 : 0;
                    if (count > 0 && requeued) requeued();
                    // Dead letters that died meanwhile are not counted: a GET shows them.
                    reply(answer(count, before > count ? before - count : 0));
                });
}

}  // namespace carebridge::gateway::api
