#include "api/audit_api.hpp"
#include "api/json_writer.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "audit/audit_event.hpp"
#include "audit/detail.hpp"
#include "audit/entry_bytes.hpp"
#include "audit/merkle.hpp"
#include "api/audit_csv.hpp"
#include "api/audit_report_html.hpp"
#include "fhir/audit_event.hpp"
#include "http/outcome.hpp"
#include "http/target.hpp"
#include "model/validate.hpp"

namespace carebridge::gateway::api {

using http::outcome_response;
namespace {

using audit::AuditAction;
using audit::AuditEntry;

constexpr std::size_t default_page = 100;
// A report covers one person's whole history; past this many entries it says it was cut short.
constexpr std::size_t largest_report = 10'000;


// ---- requests ----------------------------------------------------------------

using http::path_of;

// The query's parameters (http/target.hpp decodes them); the first of a repeated name counts.
class QueryParameters {
public:
    explicit QueryParameters(http::QueryParameters parameters) : parameters_(std::move(parameters)) {}
    // Empty when absent.
    std::string get(std::string_view name) const {
        for (const auto& [n, v] : parameters_)
            if (n == name) return v;
        return {};
    }

private:
    http::QueryParameters parameters_;
};

// nullopt (answer 400) when an escape in the query is malformed: a filter is never guessed.
std::optional<QueryParameters> query_of(std::string_view target) {
    auto parameters = http::query_parameters(target);
    if (!parameters) return std::nullopt;
    return QueryParameters(std::move(*parameters));
}

http::Response malformed_query() {
    return outcome_response(400, "error", "invalid", "the query has a malformed %-escape");
}

using http::parse_count;

// The media type an Accept header prefers among `offers` (RFC 9110 q-values,
// wildcards); the first offer when the header is absent or says */*.
// nullopt when it accepts none of them.
std::optional<std::string_view> preferred(std::string_view accept, std::initializer_list<std::string_view> offers) {
    const auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    };
    if (trim(accept).empty()) return *offers.begin();
    std::optional<std::string_view> best;
    double best_q = 0;
    int best_specificity = -1;
    for (std::string_view offer : offers) {
        double q = -1;
        int specificity = -1;
        std::string_view rest = accept;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const std::string_view range = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            const std::string_view type = trim(range.substr(0, range.find(';')));
            double range_q = 1;
            if (const auto qpos = range.find("q="); qpos != std::string_view::npos)
                range_q = std::strtod(std::string(range.substr(qpos + 2)).c_str(), nullptr);
            int s = -1;
            if (type == "*/*")
                s = 0;
            else if (type.ends_with("/*") && offer.starts_with(type.substr(0, type.size() - 1)))
                s = 1;
            else if (type == offer)
                s = 2;
            if (s > specificity) {
                specificity = s;
                q = range_q;
            }
        }
        if (specificity >= 0 && q > 0 && (q > best_q || (q == best_q && specificity > best_specificity))) {
            best = offer;
            best_q = q;
            best_specificity = specificity;
        }
    }
    return best;
}

// ---- responses -----------------------------------------------------------------


http::Response json_response(const rapidjson::StringBuffer& buffer, std::string content_type = "application/json") {
    http::Response r;
    r.content_type = std::move(content_type);
    r.body.assign(buffer.GetString(), buffer.GetSize());
    return r;
}

http::Response bad_request(std::string_view what) { return outcome_response(400, "error", "invalid", what); }
http::Response not_found(std::string_view what) { return outcome_response(404, "error", "not-found", what); }

http::Response store_unavailable() {
    http::Response r = outcome_response(503, "error", "transient", "the audit log is not reachable; retry shortly");
    r.headers.emplace_back("Retry-After", "1");
    return r;
}

// ---- who is asking -------------------------------------------------------------

// The caller as the log names it, and how much of the log it may read.
struct Reader {
    std::string ods;     // its organisation's ODS code
    std::string role;    // the role it reads in: auditor, admin or partner
    bool everything = false;  // auditor or admin; else only its own organisation's entries
};

Reader reader_of(const http::Principal& principal, const config::Config* config) {
    Reader reader;
    const config::Organisation* organisation = config ? config->organisation(principal.organisation) : nullptr;
    reader.ods = organisation ? organisation->ods_code : principal.organisation;
    if (principal.roles.has(config::Role::auditor))
        reader.role = "auditor";
    else if (principal.roles.has(config::Role::admin))
        reader.role = "admin";
    else
        reader.role = "partner";
    reader.everything = reader.role != "partner";
    return reader;
}

bool visible(const Reader& reader, const audit::AuditEvent& event) {
    return reader.everything || (!reader.ods.empty() &&
                                 (event.actor_organisation == reader.ods || event.recipient == reader.ods));
}

// The read this request makes, for the log.
audit::AuditEvent read_event(const Reader& reader, const http::Principal& principal, std::string patient,
                             std::string detail) {
    audit::AuditEvent e;
    e.action = AuditAction::read;
    e.actor_organisation = reader.ods;
    e.actor_client = principal.client;
    e.actor_role = reader.role;
    e.patient = std::move(patient);
    e.outcome = std::string(audit::outcome::success);
    e.detail = std::move(detail);
    return e;
}

// Records the read, then answers: the log holds every read before anything is disclosed.
void record_then_reply(const AuditApi& api, audit::AuditEvent read, http::Response response, AuditReply reply) {
    store::WriteSet writes;
    writes.audit.push_back(std::move(read));
    api.store.commit(std::move(writes), [response = std::move(response),
                                         reply = std::move(reply)](store::CommitResult result) mutable {
        reply(result.error ? store_unavailable() : std::move(response));
    });
}

// ---- filters -------------------------------------------------------------------

// YYYY-MM-DD with a real calendar day.
std::optional<std::chrono::year_month_day> calendar_day(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    const auto number = [&](std::size_t from, std::size_t count) -> std::optional<unsigned> {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(text.data() + from, text.data() + from + count, value);
        if (ec != std::errc() || end != text.data() + from + count) return std::nullopt;
        return value;
    };
    const auto y = number(0, 4), m = number(5, 2), d = number(8, 2);
    if (!y || !m || !d) return std::nullopt;
    const std::chrono::year_month_day day{std::chrono::year(static_cast<int>(*y)), std::chrono::month(*m),
                                          std::chrono::day(*d)};
    if (!day.ok()) return std::nullopt;
    return day;
}

// A time bound as the log's instants are written. A day alone is its
// start, or, as an upper bound, the start of the next day, so to=2026-11-23
// takes in the whole of the 23rd. nullopt when it is neither a day nor an instant.
std::optional<std::string> time_bound(std::string_view text, bool upper) {
    if (audit::is_instant(text)) return std::string(text);
    if (text.size() == 20 && text.back() == 'Z') {  // no milliseconds
        std::string with = std::string(text.substr(0, 19)) + ".000Z";
        if (audit::is_instant(with)) return with;
    }
    const auto day = calendar_day(text);
    if (!day) return std::nullopt;
    const std::chrono::sys_days start = upper ? std::chrono::sys_days(*day) + std::chrono::days(1)
                                              : std::chrono::sys_days(*day);
    return audit::format_instant(start);
}

bool is_code(std::string_view text, std::size_t longest) {
    if (text.empty() || text.size() > longest) return false;
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
               c == '.';
    });
}

std::string digits_only(std::string_view text) {
    std::string digits;
    for (char c : text)
        if (c != ' ') digits += c;
    return digits;
}

// An NHS number as the log holds it (spaces of the display form removed);
// nullopt when it is not a valid one.
std::optional<std::string> nhs_number(std::string_view text) {
    std::string digits = digits_only(text);
    if (!model::is_valid_nhs_number(digits)) return std::nullopt;
    return digits;
}

// An organisation as the log names it: its ODS code, found by id, code or
// alias; a code the config no longer knows is taken as written (the entries
// of an organisation that left the partnership stay searchable).
std::optional<std::string> organisation_code(const config::Config* config, std::string_view text) {
    if (const config::Organisation* o = config ? config->organisation(text) : nullptr) return o->ods_code;
    if (config)  // by its name, as the page's list shows it
        for (const config::Organisation& o : config->organisations)
            if (o.name.size() == text.size() &&
                std::equal(o.name.begin(), o.name.end(), text.begin(), [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
                }))
                return o.ods_code;
    // Ten digits are an NHS number typed in the wrong box: refused, so it never reaches the log's detail.
    if (text.size() == 10 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    if (!is_code(text, 16)) return std::nullopt;
    return std::string(text);
}

// The filters of /audit/events and what the read records about them.
struct Filters {
    audit::AuditQuery query;
    audit::Detail detail;  // the filters except the NHS number, which goes in the entry's patient field
};

// A 400 when a filter is malformed; 403 when a partner asks about another organisation.
std::optional<http::Response> parse_filters(const QueryParameters& params, const Reader& reader,
                                      const config::Config* config, Filters& filters) {
    audit::AuditQuery& query = filters.query;
    if (const std::string nhs = params.get("nhs"); !nhs.empty()) {
        const auto number = nhs_number(nhs);
        if (!number) return bad_request("nhs= takes a valid NHS number (ten digits, modulus 11)");
        query.patient = *number;
    }
    if (const std::string organisation = params.get("organisation"); !organisation.empty()) {
        const auto code = organisation_code(config, organisation);
        if (!code) return bad_request("organisation= takes an organisation's id, ODS code or alias");
        query.organisation = *code;
        filters.detail.add("organisation", *code);
    }
    if (!reader.everything) {
        if (!query.organisation.empty() && query.organisation != reader.ods)
            return outcome_response(403, "error", "forbidden",
                                    "a partner reads only its own organisation's entries");
        query.organisation = reader.ods;
    }
    if (const std::string recipient = params.get("recipient"); !recipient.empty()) {
        const auto code = organisation_code(config, recipient);
        if (!code) return bad_request("recipient= takes an organisation's id, ODS code or alias");
        query.recipient = *code;
        filters.detail.add("recipient", *code);
    }
    if (const std::string actions = params.get("action"); !actions.empty()) {
        std::vector<std::string> names;
        std::string_view rest = actions;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const std::string_view name = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            if (name.empty()) continue;
            const auto action = audit::parse_action(name);
            if (!action)
                return bad_request("action= takes audit actions such as received, policy-decision, disclosed, "
                                   "delivered, read (comma-separated)");
            query.actions.push_back(*action);
            names.emplace_back(name);
        }
        filters.detail.add("action", names);
    }
    if (const std::string outcome = params.get("outcome"); !outcome.empty()) {
        if (!is_code(outcome, 32)) return bad_request("outcome= takes an outcome word such as success, denied, failed");
        query.outcome = outcome;
        filters.detail.add("outcome", outcome);
    }
    for (const char* name : {"from", "to"}) {
        const std::string text = params.get(name);
        if (text.empty()) continue;
        const bool upper = std::string_view(name) == "to";
        const auto bound = time_bound(text, upper);
        if (!bound)
            return bad_request(std::string(name) + "= takes a day (2026-11-23) or an instant (2026-11-23T05:30:00.000Z)");
        (upper ? query.to : query.from) = *bound;
        filters.detail.add(name, *bound);
    }
    const std::string order = params.get("order");
    if (!order.empty() && order != "asc" && order != "desc") return bad_request("order= takes asc or desc");
    query.newest_first = order == "desc";
    if (const std::string after = params.get("after"); !after.empty()) {
        const auto cursor = parse_count(after);
        if (!cursor) return bad_request("after= takes the `next` cursor of the previous page");
        (query.newest_first ? query.before_seq : query.after_seq) = *cursor;
        filters.detail.add("after", *cursor);
    }
    query.limit = default_page;
    if (const std::string limit = params.get("limit"); !limit.empty()) {
        const auto value = parse_count(limit);
        if (!value || *value == 0 || *value > audit::max_page)
            return bad_request("limit= takes 1.." + std::to_string(audit::max_page));
        query.limit = static_cast<std::size_t>(*value);
    }
    if (query.newest_first) filters.detail.add("order", "desc");
    return std::nullopt;
}

// One page of entries; `more` says whether another follows now.
std::vector<AuditEntry> find_page(store::Store& store, audit::AuditQuery query, bool& more, std::error_code& error) {
    const std::size_t wanted = std::clamp<std::size_t>(query.limit, 1, audit::max_page);
    query.limit = wanted + 1;  // one more says whether a next page exists
    auto entries = store.find_audit_entries(query, error);
    more = entries.size() > wanted;
    if (more) entries.resize(wanted);
    return entries;
}

std::optional<AuditEntry> find_entry(store::Store& store, std::uint64_t seq, std::error_code& error) {
    audit::AuditQuery query;
    query.after_seq = seq - 1;
    query.limit = 1;
    auto entries = store.find_audit_entries(query, error);
    if (error || entries.empty() || entries.front().seq != seq) return std::nullopt;
    return std::move(entries.front());
}

// ---- entries as JSON -------------------------------------------------------------

void write_entry(JsonWriter& w, const AuditEntry& entry) {
    const audit::AuditEvent& e = entry.event;
    key(w, "seq");
    w.Uint64(entry.seq);
    field(w, "time", e.time);
    field(w, "action", audit::to_string(e.action));
    field(w, "actor_organisation", e.actor_organisation);
    field(w, "actor_client", e.actor_client);
    field(w, "actor_role", e.actor_role);
    field(w, "patient", e.patient);
    field(w, "message_id", e.message_id);
    field(w, "referral_id", e.referral_id);
    field(w, "recipient", e.recipient);
    field(w, "purpose", e.purpose);
    field(w, "lawful_basis", e.lawful_basis);
    field(w, "consent_reference", e.consent_reference);
    field(w, "outcome", e.outcome);
    field(w, "detail", e.detail);  // the exact text that was hashed
    field(w, "previous_hash", entry.previous_hash);
    field(w, "hash", entry.hash);
}

// {ODS code: name} for the organisations a page names, so a reader sees who "DBF01" is.
void write_organisations(JsonWriter& w, const std::vector<AuditEntry>& entries, const config::Config* config) {
    std::map<std::string, std::string> names;
    if (config)
        for (const AuditEntry& entry : entries)
            for (const std::string* code : {&entry.event.actor_organisation, &entry.event.recipient})
                if (!code->empty() && !names.contains(*code))
                    if (const config::Organisation* o = config->organisation(*code)) names.emplace(*code, o->name);
    key(w, "organisations");
    w.StartObject();
    for (const auto& [code, name] : names) field(w, code, name);
    w.EndObject();
}

void write_checkpoint(JsonWriter& w, const audit::Checkpoint& checkpoint) {
    w.StartObject();
    key(w, "tree_size");
    w.Uint64(checkpoint.tree_size);
    field(w, "root_hash", audit::to_hex(checkpoint.root_hash));
    field(w, "time", checkpoint.time);
    field(w, "signature", checkpoint.signature);
    field(w, "key_id", checkpoint.key_id);
    w.EndObject();
}

void write_hashes(JsonWriter& w, const std::vector<audit::Hash>& hashes) {
    w.StartArray();
    for (const audit::Hash& hash : hashes) string(w, audit::to_hex(hash));
    w.EndArray();
}

// The path and query of the next page: this request's with after= moved on.
std::string next_link(std::string_view target, std::uint64_t cursor) {
    std::string link(path_of(target));
    std::string query;
    const auto q = target.find('?');
    std::string_view rest = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        if (pair.empty() || pair.substr(0, pair.find('=')) == "after") continue;
        query += query.empty() ? "" : "&";
        query += pair;
    }
    query += query.empty() ? "" : "&";
    query += "after=" + std::to_string(cursor);
    return link + "?" + query;
}

// ---- FHIR AuditEvent --------------------------------------------------------------

std::string organisation_name(std::string_view code, const config::Config* config) {
    const config::Organisation* o = config && !code.empty() ? config->organisation(code) : nullptr;
    return o ? o->name : std::string();
}

// The entry as the FHIR mapper's plain record: every field, and the organisations' names.
fhir::AuditRecord record_of(const AuditEntry& entry, const config::Config* config) {
    const audit::AuditEvent& e = entry.event;
    fhir::AuditRecord r;
    r.seq = entry.seq;
    r.time = e.time;
    r.action = std::string(audit::to_string(e.action));
    r.actor_organisation = e.actor_organisation;
    r.actor_organisation_name = organisation_name(e.actor_organisation, config);
    r.actor_client = e.actor_client;
    r.actor_role = e.actor_role;
    r.patient = e.patient;
    r.message_id = e.message_id;
    r.referral_id = e.referral_id;
    r.recipient = e.recipient;
    r.recipient_name = organisation_name(e.recipient, config);
    r.purpose = e.purpose;
    r.lawful_basis = e.lawful_basis;
    r.consent_reference = e.consent_reference;
    r.outcome = e.outcome;
    r.detail = e.detail;
    r.previous_hash = entry.previous_hash;
    r.hash = entry.hash;
    return r;
}

std::string fhir_bundle_of(const std::vector<AuditEntry>& entries, std::string_view target, bool more,
                           const config::Config* config) {
    std::vector<fhir::AuditRecord> records;
    records.reserve(entries.size());
    for (const AuditEntry& entry : entries) records.push_back(record_of(entry, config));
    return fhir::audit_event_bundle(records, target, more ? next_link(target, entries.back().seq) : std::string());
}

// ---- proofs -----------------------------------------------------------------------

// Signs a checkpoint of the log as it stands and waits for it: a proof is
// asked for an entry newer than the last signed one.
std::optional<audit::Checkpoint> sign_now(store::Store& store, std::error_code& error) {
    std::promise<store::CommitResult> promise;
    auto done = promise.get_future();
    store.sign_audit_checkpoint([&promise](store::CommitResult result) { promise.set_value(std::move(result)); });
    store::CommitResult result = done.get();
    if (result.error) {
        error = result.error;
        return std::nullopt;
    }
    if (result.checkpoint) return result.checkpoint;
    return store.latest_audit_checkpoint(error);  // another request signed it first
}

http::Response proof_mismatch() {
    return outcome_response(500, "fatal", "exception",
                            "the stored leaves do not match the signed checkpoint; run carebridge audit verify");
}

}  // namespace

// ---- public ------------------------------------------------------------------------

std::vector<Endpoint> audit_endpoints(std::function<AuditApi()> api) {
    // Searches and reports show NHS numbers a partner's profile may withhold: auditors and admins only.
    const Access governance = Access::roles({config::Role::auditor, config::Role::admin});
    // One entry and the proofs: a partner too, narrowed by the handlers to its own organisation's entries.
    const Access readers = Access::roles({config::Role::auditor, config::Role::admin, config::Role::partner});
    const auto get = [&](std::string pattern, auto handler, const Access& access) {
        Endpoint e;
        e.pattern = std::move(pattern);
        e.methods = {http::Method::get};
        e.access = access;
        e.route = http::RouteId::audit;
        e.handler = [api, handler](http::Request request, const Screened& screened, EndpointReply reply) {
            handler(request, screened, api(), std::move(reply));
        };
        return e;
    };
    using R = const http::Request&;
    using S = const Screened&;
    using A = const AuditApi&;
    std::vector<Endpoint> endpoints;
    endpoints.push_back(get("/audit/events", [](R r, S s, A a, AuditReply reply) {
        list_audit_events(r, s.principal, a, std::move(reply));
    }, governance));
    endpoints.push_back(get("/audit/events/{seq}", [](R r, S s, A a, AuditReply reply) {
        get_audit_event(r, s.principal, s.parameters.number("seq"), a, std::move(reply));
    }, readers));
    endpoints.push_back(get("/audit/report", [](R r, S s, A a, AuditReply reply) {
        audit_report(r, s.principal, a, std::move(reply));
    }, governance));
    endpoints.push_back(get("/audit/checkpoints/latest", [](R r, S s, A a, AuditReply reply) {
        latest_audit_checkpoint(r, s.principal, a, std::move(reply));
    }, readers));
    endpoints.push_back(get("/audit/checkpoints/consistency", [](R r, S s, A a, AuditReply reply) {
        audit_consistency_proof(r, s.principal, a, std::move(reply));
    }, readers));
    endpoints.push_back(get("/audit/proof/{seq}", [](R r, S s, A a, AuditReply reply) {
        audit_inclusion_proof(r, s.principal, s.parameters.number("seq"), a, std::move(reply));
    }, readers));
    endpoints.push_back(get("/audit/verification", [](R r, S s, A a, AuditReply reply) {
        audit_verification(r, s.principal, a, std::move(reply));
    }, readers));
    return endpoints;
}

void list_audit_events(const http::Request& request, const http::Principal& principal, const AuditApi& api, AuditReply reply) {
    const config::Config* config = api.config.get();
    const Reader reader = reader_of(principal, config);
    const auto parsed = query_of(request.target);
    if (!parsed) return reply(malformed_query());
    const QueryParameters& params = *parsed;

    enum class Listing { json, csv, fhir };
    Listing listing = Listing::json;
    if (const std::string format = params.get("format"); !format.empty()) {
        if (format == "json")
            listing = Listing::json;
        else if (format == "csv")
            listing = Listing::csv;
        else if (format == "fhir")
            listing = Listing::fhir;
        else
            return reply(bad_request("format= takes json, csv or fhir"));
    } else {
        const auto type = preferred(request.accept, {"application/json", "text/csv", "application/fhir+json"});
        if (!type)
            return reply(outcome_response(406, "error", "not-supported",
                                          "the audit log is served as application/json, text/csv or "
                                          "application/fhir+json"));
        listing = *type == "text/csv" ? Listing::csv : *type == "application/fhir+json" ? Listing::fhir : Listing::json;
    }

    Filters filters;
    if (auto refused = parse_filters(params, reader, config, filters)) return reply(std::move(*refused));
    bool more = false;
    std::error_code error;
    const auto entries = find_page(api.store, filters.query, more, error);
    if (error) return reply(store_unavailable());

    http::Response response;
    const char* format_name = "json";
    if (listing == Listing::csv) {
        format_name = "csv";
        response.content_type = "text/csv; charset=utf-8";
        response.body = csv_of(entries);
        response.headers.emplace_back("Content-Disposition", "attachment; filename=\"carebridge-audit.csv\"");
        if (more) {
            response.headers.emplace_back("Link", "<" + next_link(request.target, entries.back().seq) + ">; rel=\"next\"");
            response.headers.emplace_back("Carebridge-Next-Cursor", std::to_string(entries.back().seq));
        }
    } else if (listing == Listing::fhir) {
        format_name = "fhir";
        response.content_type = "application/fhir+json";
        response.body = fhir_bundle_of(entries, request.target, more, config);
    } else {
        rapidjson::StringBuffer buffer;
        JsonWriter w(buffer);
        w.StartObject();
        key(w, "entries");
        w.StartArray();
        for (const AuditEntry& entry : entries) {
            w.StartObject();
            write_entry(w, entry);
            w.EndObject();
        }
        w.EndArray();
        key(w, "next");
        if (more)
            string(w, std::to_string(entries.back().seq));
        else
            w.Null();
        write_organisations(w, entries, config);
        w.EndObject();
        response = json_response(buffer);
    }
    filters.detail.add("query", "audit-events").add("format", format_name).add("returned", entries.size());
    record_then_reply(api, read_event(reader, principal, filters.query.patient, filters.detail.text()),
                      std::move(response), std::move(reply));
}

void get_audit_event(const http::Request&, const http::Principal& principal, std::uint64_t seq, const AuditApi& api,
                     AuditReply reply) {
    const Reader reader = reader_of(principal, api.config.get());
    std::error_code error;
    const auto entry = find_entry(api.store, seq, error);
    if (error) return reply(store_unavailable());
    // Another organisation's entry is answered as absent: its existence is not ours to disclose.
    if (!entry || !visible(reader, entry->event)) return reply(not_found("no audit entry " + std::to_string(seq)));
    const auto leaves = api.store.audit_leaf_hashes(seq, seq, error);
    if (error) return reply(store_unavailable());

    std::string canonical;
    audit::canonical_entry(audit::text_of(entry->event, entry->previous_hash), canonical);
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    write_entry(w, *entry);
    field(w, "leaf_hash", leaves.size() == 1 ? audit::to_hex(leaves.front()) : std::string());
    key(w, "hash_matches_contents");
    w.Bool(audit::to_hex(audit::entry_hash(canonical)) == entry->hash &&
           leaves.size() == 1 && audit::leaf_hash(canonical) == leaves.front());
    std::vector<AuditEntry> one{*entry};
    write_organisations(w, one, api.config.get());
    w.EndObject();
    record_then_reply(api,
                      read_event(reader, principal, entry->event.patient,
                                 audit::Detail().add("query", "audit-event").add("seq", seq).text()),
                      json_response(buffer), std::move(reply));
}

void audit_report(const http::Request& request, const http::Principal& principal, const AuditApi& api, AuditReply reply) {
    const config::Config* config = api.config.get();
    const Reader reader = reader_of(principal, config);
    const auto parsed = query_of(request.target);
    if (!parsed) return reply(malformed_query());
    const QueryParameters& params = *parsed;
    const auto nhs = nhs_number(params.get("nhs"));
    if (!nhs) return reply(bad_request("nhs= takes the valid NHS number the report is about"));
    bool html = true;
    if (const std::string format = params.get("format"); !format.empty()) {
        if (format != "html" && format != "json") return reply(bad_request("format= takes html or json"));
        html = format == "html";
    } else {
        const auto type = preferred(request.accept, {"text/html", "application/json"});
        if (!type) return reply(outcome_response(406, "error", "not-supported", "the report is text/html or application/json"));
        html = *type == "text/html";
    }

    audit::AuditQuery query;
    query.patient = *nhs;
    query.actions = {AuditAction::disclosed, AuditAction::delivered, AuditAction::read};
    if (!reader.everything) query.organisation = reader.ods;
    query.limit = audit::max_page;
    std::vector<AuditEntry> entries;
    bool truncated = false;
    for (;;) {
        std::error_code error;
        auto page = api.store.find_audit_entries(query, error);
        if (error) return reply(store_unavailable());
        for (auto& entry : page) {
            if (entries.size() == largest_report) {
                truncated = true;
                break;
            }
            entries.push_back(std::move(entry));
        }
        if (truncated || page.size() < query.limit) break;
        query.after_seq = entries.back().seq;
    }

    const std::string generated_at = audit::now_instant();
    http::Response response;
    if (html) {
        response.content_type = "text/html; charset=utf-8";
        response.body = report_html(*nhs, entries, truncated, config, generated_at, largest_report);
        // Printable on its own: no scripts, no requests, only its own inline styles.
        response.headers.emplace_back("Content-Security-Policy",
                                      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                                      "form-action 'none'; frame-ancestors 'none'");
        response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    } else {
        rapidjson::StringBuffer buffer;
        JsonWriter w(buffer);
        w.StartObject();
        field(w, "nhs", *nhs);
        field(w, "generated_at", generated_at);
        key(w, "truncated");
        w.Bool(truncated);
        key(w, "entries");
        w.StartArray();
        for (const AuditEntry& entry : entries) {
            w.StartObject();
            write_entry(w, entry);
            w.EndObject();
        }
        w.EndArray();
        write_organisations(w, entries, config);
        w.EndObject();
        response = json_response(buffer);
    }
    // The report is a read about one person: the log names them in its patient field.
    record_then_reply(api,
                      read_event(reader, principal, *nhs,
                                 audit::Detail()
                                     .add("query", "audit-report")
                                     .add("format", html ? "html" : "json")
                                     .add("returned", entries.size())
                                     .text()),
                      std::move(response), std::move(reply));
}

void latest_audit_checkpoint(const http::Request&, const http::Principal& principal, const AuditApi& api, AuditReply reply) {
    const Reader reader = reader_of(principal, api.config.get());
    std::error_code error;
    auto checkpoint = api.store.latest_audit_checkpoint(error);
    if (error) return reply(store_unavailable());
    // A new gateway's first auditor gets something to check against at once.
    if (!checkpoint) checkpoint = sign_now(api.store, error);
    if (error) return reply(store_unavailable());
    if (!checkpoint) return reply(not_found("the log is empty: there is nothing to sign yet"));
    // The key the checkpoint names, which after a key rotation may be an earlier one.
    const audit::PublicKey& current_key = api.store.audit_public_key();
    std::optional<audit::TrustedKeys> earlier;
    if (checkpoint->key_id != current_key.id())
        earlier = api.store.audit_trusted_keys();
    const audit::PublicKey* signer = earlier ? earlier->find(checkpoint->key_id) : &current_key;
    const audit::PublicKey& public_key = signer ? *signer : current_key;
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    key(w, "tree_size");
    w.Uint64(checkpoint->tree_size);
    field(w, "root_hash", audit::to_hex(checkpoint->root_hash));
    field(w, "time", checkpoint->time);
    field(w, "signature", checkpoint->signature);
    field(w, "key_id", checkpoint->key_id);
    field(w, "public_key_pem", public_key.pem());
    key(w, "signature_valid");
    w.Bool(signer && signer->verify(*checkpoint));
    field(w, "signed_bytes", audit::checkpoint_bytes(checkpoint->tree_size, checkpoint->root_hash, checkpoint->time));
    w.EndObject();
    record_then_reply(api,
                      read_event(reader, principal, {},
                                 audit::Detail()
                                     .add("query", "audit-checkpoint")
                                     .add("tree_size", checkpoint->tree_size)
                                     .text()),
                      json_response(buffer), std::move(reply));
}

void audit_consistency_proof(const http::Request& request, const http::Principal& principal, const AuditApi& api,
                             AuditReply reply) {
    const Reader reader = reader_of(principal, api.config.get());
    const auto parsed = query_of(request.target);
    if (!parsed) return reply(malformed_query());
    const QueryParameters& params = *parsed;
    const auto from = parse_count(params.get("from"));
    if (!from || *from == 0) return reply(bad_request("from= takes the tree size of a signed checkpoint"));
    std::error_code error;
    std::optional<audit::Checkpoint> to_checkpoint;
    if (const std::string to = params.get("to"); !to.empty()) {
        const auto size = parse_count(to);
        if (!size) return reply(bad_request("to= takes the tree size of a signed checkpoint"));
        to_checkpoint = api.store.audit_checkpoint_at(*size, error);
    } else {
        to_checkpoint = api.store.latest_audit_checkpoint(error);
    }
    if (error) return reply(store_unavailable());
    if (!to_checkpoint) return reply(not_found("no signed checkpoint of that tree size (to=)"));
    if (*from > to_checkpoint->tree_size) return reply(bad_request("from= must not be larger than to="));
    const auto from_checkpoint = api.store.audit_checkpoint_at(*from, error);
    if (error) return reply(store_unavailable());
    if (!from_checkpoint) return reply(not_found("no signed checkpoint of that tree size (from=)"));

    const auto leaves = api.store.audit_leaf_hashes(1, to_checkpoint->tree_size, error);
    if (error) return reply(store_unavailable());
    if (leaves.size() != to_checkpoint->tree_size) return reply(proof_mismatch());
    const auto path = audit::consistency_proof(leaves, *from);
    if (!audit::verify_consistency(*from, to_checkpoint->tree_size, from_checkpoint->root_hash,
                                   to_checkpoint->root_hash, path))
        return reply(proof_mismatch());

    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    key(w, "from");
    write_checkpoint(w, *from_checkpoint);
    key(w, "to");
    write_checkpoint(w, *to_checkpoint);
    key(w, "path");
    write_hashes(w, path);
    w.EndObject();
    record_then_reply(api,
                      read_event(reader, principal, {},
                                 audit::Detail()
                                     .add("query", "audit-consistency")
                                     .add("from", *from)
                                     .add("to", to_checkpoint->tree_size)
                                     .text()),
                      json_response(buffer), std::move(reply));
}

void audit_inclusion_proof(const http::Request&, const http::Principal& principal, std::uint64_t seq, const AuditApi& api,
                           AuditReply reply) {
    const Reader reader = reader_of(principal, api.config.get());
    std::error_code error;
    const auto entry = find_entry(api.store, seq, error);
    if (error) return reply(store_unavailable());
    if (!entry || !visible(reader, entry->event)) return reply(not_found("no audit entry " + std::to_string(seq)));
    auto checkpoint = api.store.latest_audit_checkpoint(error);
    if (error) return reply(store_unavailable());
    if (!checkpoint || checkpoint->tree_size < seq) {
        checkpoint = sign_now(api.store, error);
        if (error) return reply(store_unavailable());
        if (!checkpoint || checkpoint->tree_size < seq) return reply(store_unavailable());
    }
    const auto leaves = api.store.audit_leaf_hashes(1, checkpoint->tree_size, error);
    if (error) return reply(store_unavailable());
    if (leaves.size() != checkpoint->tree_size) return reply(proof_mismatch());
    const std::uint64_t index = seq - 1;
    const auto path = audit::inclusion_proof(leaves, index);
    if (!audit::verify_inclusion(leaves[index], index, checkpoint->tree_size, path, checkpoint->root_hash))
        return reply(proof_mismatch());

    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    key(w, "seq");
    w.Uint64(seq);
    key(w, "leaf_index");
    w.Uint64(index);
    field(w, "leaf_hash", audit::to_hex(leaves[index]));
    field(w, "hash", entry->hash);
    key(w, "tree_size");
    w.Uint64(checkpoint->tree_size);
    field(w, "root_hash", audit::to_hex(checkpoint->root_hash));
    key(w, "path");
    write_hashes(w, path);
    key(w, "checkpoint");
    write_checkpoint(w, *checkpoint);
    w.EndObject();
    record_then_reply(api,
                      read_event(reader, principal, {},
                                 audit::Detail().add("query", "audit-proof").add("seq", seq).text()),
                      json_response(buffer), std::move(reply));
}

void audit_verification(const http::Request&, const http::Principal& principal, const AuditApi& api, AuditReply reply) {
    const Reader reader = reader_of(principal, api.config.get());
    if (!api.verifier)
        return reply(outcome_response(503, "error", "not-supported", "this gateway does not verify its log online"));
    const AuditVerifier::Status status = api.verifier->status();
    const audit::LogVerification& result = status.result;
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    field(w, "status", result.status == audit::LogStatus::intact     ? "intact"
                       : result.status == audit::LogStatus::tampered ? "tampered"
                                                                     : "unreadable");
    field(w, "line", result.line);
    key(w, "entries");
    w.Uint64(result.entries);
    key(w, "first_bad");
    w.Uint64(result.first_bad);
    key(w, "last_checkpoint");
    if (result.last_checkpoint)
        write_checkpoint(w, *result.last_checkpoint);
    else
        w.Null();
    field(w, "checked_at", status.checked_at);
    key(w, "reused");
    w.Bool(status.reused);
    key(w, "max_age_seconds");
    w.Int64(api.verifier->max_age().count());
    field(w, "method",
          "every entry's hash and link and every signed checkpoint recomputed from the store, as carebridge audit "
          "verify does; the result is reused for max_age_seconds");
    w.EndObject();
    record_then_reply(api, read_event(reader, principal, {}, audit::Detail().add("query", "audit-verification").text()),
                      json_response(buffer), std::move(reply));
}

}  // namespace carebridge::gateway::api
