// The audit log's read side, driven through its handlers (no sockets) over a
// real SQLite store filled through Store::commit: filters and cursors, the
// CSV and FHIR exports, partners kept to their own organisation's entries,
// no payload ever shown, every read itself logged before the reply (and 503
// with nothing disclosed when that fails), proofs that check out with
// audit/merkle.hpp, the verification status, and the page's static files.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <functional>
#include <map>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "audit/audit_fixture.hpp"
#include "audit/checkpoint.hpp"
#include "audit/entry_bytes.hpp"
#include "audit/merkle.hpp"
#include "config/config.hpp"
#include "http/outcome.hpp"
#include "api/audit_api.hpp"
#include "ui/ui_assets.hpp"

namespace {

using namespace carebridge::gateway;
using namespace carebridge::testing;
using audit::AuditAction;
using api::AuditApi;
using http::Principal;
using http::Response;

const std::string source_dir = CAREBRIDGE_SOURCE_DIR;
constexpr const char* payload_marker = "PAYLOAD-ONLY-TEXT-Zebulon";
const char* const patients[] = {"9990000085", "9990000018", "9990000026"};

// The i-th seeded event: a referral's journey spread over October 2020,
// twelve hours apart, so time ranges, weeks and cursors have something to bite on.
audit::AuditEvent seeded(int i) {
    static const AuditAction actions[] = {AuditAction::received, AuditAction::policy_decision, AuditAction::disclosed,
                                          AuditAction::delivered, AuditAction::read};
    audit::AuditEvent e;
    e.time = audit::format_instant(std::chrono::sys_days(std::chrono::year(2020) / 10 / 1) + std::chrono::hours(12 * i));
    e.action = actions[i % 5];
    e.patient = patients[i % 3];
    e.message_id = "00000000-0000-4000-8000-0000000000" + std::to_string(10 + i / 5);
    e.referral_id = "REF-" + std::to_string(i / 5);
    const std::string partner = i % 2 ? "DBF01" : "DMN01";
    switch (e.action) {
        case AuditAction::received:
            e.actor_organisation = "RZZ";
            e.actor_client = "trust-epr";
            e.actor_role = "submitter";
            e.outcome = "success";
            e.detail = R"({"format":"fhir","bytes":1234})";
            break;
        case AuditAction::policy_decision:
        case AuditAction::disclosed:
            e.actor_organisation = "RZZ";
            e.actor_client = "trust-epr";
            e.actor_role = "submitter";
            e.recipient = partner;
            e.purpose = "direct-care";
            e.lawful_basis = "UK GDPR 6(1)(e); 9(2)(h)";
            e.consent_reference = "Consent/c-" + std::to_string(i / 5);
            if (e.action == AuditAction::policy_decision)
                e.outcome = i % 10 == 1 ? "deny" : "allow";
            else
                e.outcome = i % 7 == 2 ? "failed" : "success";
            e.detail = R"({"rule":"isolation-to-befriending","policy_version":"westshire-2026.10","fields_sent":["person.name"]})";
            break;
        case AuditAction::delivered:
            e.actor_role = "gateway";
            e.recipient = partner;
            e.outcome = "success";
            break;
        default:  // a partner reading its inbox
            e.actor_organisation = partner;
            e.actor_client = partner == "DBF01" ? "befriend-inbox" : "mind-inbox";
            e.actor_role = "partner";
            e.outcome = "success";
            e.detail = R"({"via":"inbox"})";
            break;
    }
    return e;
}

constexpr int seeded_count = 40;
// Every seeded event is before this; the reads the tests make are after it.
const std::string seeded_until = "2020-10-21";

struct ParsedJson {
    rapidjson::Document document;
    explicit ParsedJson(const std::string& text) { document.Parse(text.c_str()); }
    bool ok() const { return !document.HasParseError(); }
};

class AuditApiTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string error;
        auto loaded = config::load_config(source_dir + "/config/demo.json", error);
        ASSERT_TRUE(loaded) << error;
        config_ = std::make_shared<const config::Config>(std::move(*loaded));
        store_ = open_audit_store(dir_);
        ASSERT_TRUE(store_);
        verifier_ = std::make_shared<api::AuditVerifier>(*store_,
                                                          std::chrono::seconds(3600));
        api_.emplace(AuditApi{*store_, config_, verifier_});

        // The referral each journey is about, with a payload the log must never show.
        store::StoredMessage message;
        message.id = "00000000-0000-4000-8000-000000000010";
        message.sender = "trust";
        message.client = "trust-epr";
        message.received_at = "2020-10-01T00:00:00.000Z";
        message.source_format = "fhir";
        message.content_type = "application/fhir+json";
        message.payload = std::string("{\"note\":\"") + payload_marker + "\"}";
        message.canonical = message.payload;
        message.outcome = "{}";
        message.nhs_number = patients[0];
        store::WriteSet writes;
        writes.messages.push_back(message);
        for (int i = 0; i < seeded_count; ++i) {
            events_.push_back(seeded(i));
            writes.audit.push_back(events_.back());
        }
        const auto result = commit_and_wait(*store_, std::move(writes));
        ASSERT_FALSE(result.error) << result.error_message;
    }

    Principal principal(const std::string& client) const {
        for (const auto& c : config_->clients)
            if (c.id == client) return Principal{c.id, c.organisation, c.roles, 0, 0};
        ADD_FAILURE() << "no client " << client;
        return {};
    }
    Principal auditor() const { return principal("partnership-auditor"); }

    Response get(const Principal& who, const std::string& target, const std::string& accept = "") {
        http::Request request;
        request.method = http::Method::get;
        request.target = target;
        request.accept = accept;
        // The audit endpoints as the gateway's table declares them: 404, 403 as screen() answers, else the handler.
        std::string error;
        const auto table = api::EndpointTable::create(api::audit_endpoints([this] { return *api_; }), error);
        EXPECT_TRUE(table) << error;
        if (!table) return {};
        const auto match = table->match(request.method, target);
        if (!match.endpoint) return http::outcome_response(404, "error", "not-found", "no such endpoint");
        if (!match.endpoint->access.admits(who.roles))
            return http::outcome_response(403, "error", "forbidden", "may not read the audit log");
        api::Screened screened;
        screened.principal = who;
        screened.parameters = match.parameters;
        std::promise<Response> promise;
        auto answer = promise.get_future();
        match.endpoint->handler(request, screened, [&promise](Response r) { promise.set_value(std::move(r)); });
        return answer.get();
    }

    // The JSON entries a page holds, and its cursor.
    std::vector<audit::AuditEntry> page(const Principal& who, const std::string& target,
                                        std::optional<std::string>* next = nullptr) {
        const Response r = get(who, target);
        EXPECT_EQ(r.status, 200u) << target << "\n" << r.body;
        ParsedJson json(r.body);
        EXPECT_TRUE(json.ok()) << r.body;
        std::vector<audit::AuditEntry> entries;
        if (!json.ok() || !json.document.HasMember("entries")) return entries;
        for (const auto& item : json.document["entries"].GetArray()) entries.push_back(entry_from(item));
        if (next) {
            const auto& n = json.document["next"];
            *next = n.IsNull() ? std::nullopt : std::optional<std::string>(n.GetString());
        }
        return entries;
    }

    static audit::AuditEntry entry_from(const rapidjson::Value& item) {
        audit::AuditEntry entry;
        entry.seq = item["seq"].GetUint64();
        audit::AuditEvent& e = entry.event;
        e.time = item["time"].GetString();
        e.action = *audit::parse_action(item["action"].GetString());
        e.actor_organisation = item["actor_organisation"].GetString();
        e.actor_client = item["actor_client"].GetString();
        e.actor_role = item["actor_role"].GetString();
        e.patient = item["patient"].GetString();
        e.message_id = item["message_id"].GetString();
        e.referral_id = item["referral_id"].GetString();
        e.recipient = item["recipient"].GetString();
        e.purpose = item["purpose"].GetString();
        e.lawful_basis = item["lawful_basis"].GetString();
        e.consent_reference = item["consent_reference"].GetString();
        e.outcome = item["outcome"].GetString();
        e.detail = item["detail"].GetString();
        entry.previous_hash = item["previous_hash"].GetString();
        entry.hash = item["hash"].GetString();
        return entry;
    }

    // The newest entry of the log, read straight from the store.
    audit::AuditEntry newest() {
        audit::AuditQuery query;
        query.newest_first = true;
        query.limit = 1;
        std::error_code error;
        auto entries = store_->find_audit_entries(query, error);
        EXPECT_FALSE(error);
        EXPECT_EQ(entries.size(), 1u);
        return entries.empty() ? audit::AuditEntry{} : entries.front();
    }

    std::uint64_t log_size() { return newest().seq; }

    // The seqs of seeded events (seq = index + 1) that `keep` accepts.
    std::vector<std::uint64_t> expected(const std::function<bool(const audit::AuditEvent&)>& keep) const {
        std::vector<std::uint64_t> seqs;
        for (std::size_t i = 0; i < events_.size(); ++i)
            if (keep(events_[i])) seqs.push_back(i + 1);
        return seqs;
    }

    static std::vector<std::uint64_t> seqs_of(const std::vector<audit::AuditEntry>& entries) {
        std::vector<std::uint64_t> seqs;
        for (const auto& e : entries) seqs.push_back(e.seq);
        return seqs;
    }

    AuditTempDir dir_;
    std::shared_ptr<const config::Config> config_;
    std::unique_ptr<store::Store> store_;
    std::shared_ptr<api::AuditVerifier> verifier_;
    std::optional<AuditApi> api_;
    std::vector<audit::AuditEvent> events_;
};

// ---- routes and roles ----------------------------------------------------------

TEST(AuditRoutes, PathsMatchTheirEndpointsAndOnlyGetIsAllowed) {
    using http::Method;
    std::string error;
    const auto table = api::EndpointTable::create(
        api::audit_endpoints([]() -> api::AuditApi { throw std::logic_error("not called"); }), error);
    ASSERT_TRUE(table) << error;
    const auto pattern = [&](Method method, std::string_view target) {
        const auto m = table->match(method, target);
        return m.endpoint ? m.endpoint->pattern : std::string("none");
    };
    EXPECT_EQ(pattern(Method::get, "/audit/events?nhs=1"), "/audit/events");
    const auto one = table->match(Method::get, "/audit/events/42");
    EXPECT_EQ(one.endpoint->pattern, "/audit/events/{seq}");
    EXPECT_EQ(one.parameters.number("seq"), 42u);
    EXPECT_EQ(table->match(Method::get, "/audit/proof/7").parameters.number("seq"), 7u);
    EXPECT_EQ(pattern(Method::get, "/audit/report"), "/audit/report");
    EXPECT_EQ(pattern(Method::get, "/audit/checkpoints/latest"), "/audit/checkpoints/latest");
    EXPECT_EQ(pattern(Method::get, "/audit/checkpoints/consistency?from=1"), "/audit/checkpoints/consistency");
    EXPECT_EQ(pattern(Method::get, "/audit/verification"), "/audit/verification");
    for (const char* none : {"/audit/events/0", "/audit/events/x", "/audit/events/", "/audit", "/auditx/events",
                             "/audit/proof/-1"})
        EXPECT_EQ(pattern(Method::get, none), "none") << none;
    const auto post = table->match(Method::post, "/audit/events");
    EXPECT_EQ(post.endpoint->pattern, "/audit/events");
    EXPECT_FALSE(post.method_ok);
    EXPECT_EQ(post.allow, "GET, HEAD");
    EXPECT_TRUE(table->match(Method::head, "/audit/events").method_ok);
}

TEST_F(AuditApiTest, SubmittersAndUnknownPathsAreTurnedAwayAndNothingIsLogged) {
    const std::uint64_t before = log_size();
    EXPECT_EQ(get(principal("trust-epr"), "/audit/events").status, 403u);
    EXPECT_EQ(get(principal("gp-system"), "/audit/report?nhs=9990000085").status, 403u);
    EXPECT_EQ(get(auditor(), "/audit/nothing").status, 404u);
    EXPECT_EQ(log_size(), before);
    EXPECT_EQ(get(principal("gateway-admin"), "/audit/events").status, 200u);  // admins may read too
}

// ---- filters and cursors --------------------------------------------------------

TEST_F(AuditApiTest, EachFilterReturnsExactlyTheEntriesThatMatchIt) {
    const auto until = "&to=" + seeded_until;
    const auto check = [&](const std::string& query, const std::function<bool(const audit::AuditEvent&)>& keep) {
        const auto entries = page(auditor(), "/audit/events?limit=1000&" + query + until);
        EXPECT_EQ(seqs_of(entries), expected(keep)) << query;
        EXPECT_FALSE(entries.empty()) << query;
    };
    check("nhs=9990000085", [](const auto& e) { return e.patient == "9990000085"; });
    check("nhs=999+000+0085", [](const auto& e) { return e.patient == "9990000085"; });  // the display form
    check("organisation=DBF01", [](const auto& e) { return e.actor_organisation == "DBF01" || e.recipient == "DBF01"; });
    check("organisation=befriend", [](const auto& e) { return e.actor_organisation == "DBF01" || e.recipient == "DBF01"; });
    check("recipient=Westshire%20Mind", [](const auto& e) { return e.recipient == "DMN01"; });  // by name
    check("action=disclosed", [](const auto& e) { return e.action == AuditAction::disclosed; });
    check("action=disclosed,read", [](const auto& e) {
        return e.action == AuditAction::disclosed || e.action == AuditAction::read;
    });
    check("outcome=deny", [](const auto& e) { return e.outcome == "deny"; });
    check("action=policy-decision&outcome=allow&recipient=mind", [](const auto& e) {
        return e.action == AuditAction::policy_decision && e.outcome == "allow" && e.recipient == "DMN01";
    });
    // A day as the upper bound takes in the whole day; an instant is exclusive.
    check("from=2020-10-03&to=2020-10-05", [](const auto& e) { return e.time >= "2020-10-03" && e.time < "2020-10-06"; });
    check("from=2020-10-03T12%3A00%3A00.000Z", [](const auto& e) { return e.time >= "2020-10-03T12:00:00.000Z"; });
    check("nhs=9990000018&action=received&from=2020-10-02",
          [](const auto& e) { return e.patient == "9990000018" && e.action == AuditAction::received && e.time >= "2020-10-02"; });
}

TEST_F(AuditApiTest, MalformedFiltersAre400AndNeverReachTheLog) {
    const std::uint64_t before = log_size();
    for (const char* query : {"nhs=9990000086", "nhs=12345", "organisation=9990000085", "organisation=%3Cscript%3E",
                              "action=disclosed,shredded", "from=yesterday", "to=2026-13-01", "limit=0",
                              "limit=1001", "after=-3", "order=sideways", "format=xml"}) {
        const Response r = get(auditor(), std::string("/audit/events?") + query);
        EXPECT_EQ(r.status, 400u) << query << "\n" << r.body;
    }
    EXPECT_EQ(get(auditor(), "/audit/events", "text/html").status, 406u);
    EXPECT_EQ(log_size(), before);
}

TEST_F(AuditApiTest, AfterAndLimitThatAreNegativeNonNumericOrOverflowingAre400NamingTheParameter) {
    const std::uint64_t before = log_size();
    for (const char* name : {"after", "limit"})
        for (const char* value : {"-1", "abc", "1e3", "+5", "%205", "9223372036854775808", "18446744073709551616",
                                  "99999999999999999999999"}) {
            const std::string query = std::string(name) + "=" + value;
            const Response r = get(auditor(), "/audit/events?" + query);
            EXPECT_EQ(r.status, 400u) << query << "\n" << r.body;
            EXPECT_NE(r.body.find(std::string(name) + "="), std::string::npos) << query << "\n" << r.body;
            EXPECT_NE(r.body.find("OperationOutcome"), std::string::npos) << query;
        }
    // The largest cursor a store holds is still a cursor: an empty page, not the start again.
    const auto past_the_end = page(auditor(), "/audit/events?after=9223372036854775807");
    EXPECT_TRUE(past_the_end.empty());
    EXPECT_EQ(log_size(), before + 1);  // only that read
}

TEST_F(AuditApiTest, CursorsWalkEveryEntryOnceInEitherOrder) {
    std::vector<std::uint64_t> ascending;
    std::optional<std::string> next;
    std::string cursor;
    for (int pages = 0; pages < 20; ++pages) {
        const auto entries = page(auditor(), "/audit/events?limit=7&to=" + seeded_until +
                                                 (cursor.empty() ? "" : "&after=" + cursor), &next);
        for (const auto& e : entries) ascending.push_back(e.seq);
        if (!next) break;
        EXPECT_EQ(*next, std::to_string(entries.back().seq));
        cursor = *next;
    }
    EXPECT_EQ(ascending, expected([](const auto&) { return true; }));

    std::vector<std::uint64_t> descending;
    cursor.clear();
    for (int pages = 0; pages < 20; ++pages) {
        const auto entries = page(auditor(), "/audit/events?order=desc&limit=6&to=" + seeded_until +
                                                 (cursor.empty() ? "" : "&after=" + cursor), &next);
        for (const auto& e : entries) descending.push_back(e.seq);
        if (!next) break;
        cursor = *next;
    }
    std::reverse(descending.begin(), descending.end());
    EXPECT_EQ(descending, ascending);
}

TEST_F(AuditApiTest, EntriesCarryEveryHashedFieldExactlySoTheirHashesRecompute) {
    const auto entries = page(auditor(), "/audit/events?limit=1000&to=" + seeded_until);
    ASSERT_EQ(entries.size(), static_cast<std::size_t>(seeded_count));
    std::string previous(audit::genesis_hash);
    std::string canonical;
    for (const auto& entry : entries) {
        EXPECT_EQ(entry.previous_hash, previous);
        audit::canonical_entry(audit::text_of(entry.event, entry.previous_hash), canonical);
        EXPECT_EQ(audit::to_hex(audit::entry_hash(canonical)), entry.hash) << "entry " << entry.seq;
        previous = entry.hash;
    }
    // And the page names the organisations it mentions.
    ParsedJson json(get(auditor(), "/audit/events?recipient=DBF01&limit=3").body);
    ASSERT_TRUE(json.ok());
    EXPECT_STREQ(json.document["organisations"]["DBF01"].GetString(), "Northfield Befriending");
    EXPECT_STREQ(json.document["organisations"]["RZZ"].GetString(), "Westshire Mental Health NHS Trust");
}

// ---- exports -------------------------------------------------------------------

// RFC 4180 rows, quoted fields and doubled quotes undone.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> rows(1);
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            rows.back().push_back(std::move(field));
            field.clear();
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            rows.back().push_back(std::move(field));
            field.clear();
            rows.emplace_back();
            ++i;
        } else {
            field += c;
        }
    }
    if (rows.back().empty()) rows.pop_back();
    return rows;
}

TEST_F(AuditApiTest, CsvQuotesCommasQuotesAndLineBreaksAndKeepsEveryFieldExact) {
    audit::AuditEvent awkward = seeded(2);
    awkward.time = "2020-10-20T23:00:00.000Z";
    awkward.actor_client = "epr, \"main\" site";
    awkward.consent_reference = "Consent/c-9\nsecond line";
    awkward.detail = R"({"reason":"a, b and \"c\""})";
    store::WriteSet writes;
    writes.audit.push_back(awkward);
    ASSERT_FALSE(commit_and_wait(*store_, std::move(writes)).error);

    for (const auto& [target, accept] : std::vector<std::pair<std::string, std::string>>{
             {"/audit/events?limit=1000&to=" + seeded_until, "text/csv"},
             {"/audit/events?limit=1000&format=csv&to=" + seeded_until, ""}}) {
        const Response r = get(auditor(), target, accept);
        ASSERT_EQ(r.status, 200u) << r.body;
        EXPECT_EQ(r.content_type, "text/csv; charset=utf-8");
        const auto rows = parse_csv(r.body);
        ASSERT_EQ(rows.size(), static_cast<std::size_t>(seeded_count) + 2);
        EXPECT_EQ(rows[0].front(), "seq");
        EXPECT_EQ(rows[0].back(), "hash");
        std::string canonical;
        for (std::size_t i = 1; i < rows.size(); ++i) {
            const auto& f = rows[i];
            ASSERT_EQ(f.size(), 17u) << "row " << i;
            audit::EntryText text{f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13], f[14], f[15]};
            audit::canonical_entry(text, canonical);
            EXPECT_EQ(audit::to_hex(audit::entry_hash(canonical)), f[16]) << "row " << i;  // the hash recomputes
        }
        const auto& last = rows.back();
        EXPECT_EQ(last[4], awkward.actor_client);
        EXPECT_EQ(last[12], awkward.consent_reference);
        EXPECT_EQ(last[14], awkward.detail);
    }
    // A page that does not end the listing says where the next one starts.
    const Response paged = get(auditor(), "/audit/events?limit=5&format=csv&to=" + seeded_until);
    const auto link = std::find_if(paged.headers.begin(), paged.headers.end(), [](const auto& h) { return h.first == "Link"; });
    ASSERT_NE(link, paged.headers.end());
    EXPECT_NE(link->second.find("after=5"), std::string::npos) << link->second;
}

const rapidjson::Value* coding_with(const rapidjson::Value& codings, const char* system) {
    for (const auto& c : codings.GetArray())
        if (std::string(c["system"].GetString()) == system) return &c;
    return nullptr;
}

TEST_F(AuditApiTest, CsvCellsASpreadsheetWouldRunAsFormulasArePrefixedAndQuoted) {
    const std::vector<std::string> formulas = {"=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"};
    for (std::size_t i = 0; i < formulas.size(); ++i) {
        audit::AuditEvent hostile = seeded(2);
        hostile.time = "2020-10-0" + std::to_string(i + 1) + "T23:00:00.000Z";
        hostile.actor_client = formulas[i];
        store::WriteSet writes;
        writes.audit.push_back(hostile);
        ASSERT_FALSE(commit_and_wait(*store_, std::move(writes)).error);
    }
    const Response r = get(auditor(), "/audit/events?limit=1000&format=csv&to=" + seeded_until);
    ASSERT_EQ(r.status, 200u) << r.body;
    for (const std::string& formula : formulas) {
        std::string quoted = "\"'";
        for (char c : formula) {
            if (c == '"') quoted += '"';
            quoted += c;
        }
        quoted += '"';
        EXPECT_NE(r.body.find("," + quoted + ","), std::string::npos) << formula;  // its own quoted cell
    }
    const auto rows = parse_csv(r.body);
    std::vector<std::string> clients;
    for (const auto& row : rows)
        if (row.size() == 17 && !row[4].empty() && row[4].front() == '\'') clients.push_back(row[4].substr(1));
    EXPECT_EQ(clients, formulas);  // dropping the ' gives the value exactly as stored
}

TEST_F(AuditApiTest, FhirExportIsASearchsetOfAuditEventsShapedAfterBalp) {
    const Response r = get(auditor(), "/audit/events?limit=10&to=" + seeded_until, "application/fhir+json");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.content_type, "application/fhir+json");
    ParsedJson json(r.body);
    ASSERT_TRUE(json.ok());
    const auto& bundle = json.document;
    EXPECT_STREQ(bundle["resourceType"].GetString(), "Bundle");
    EXPECT_STREQ(bundle["type"].GetString(), "searchset");
    ASSERT_EQ(bundle["entry"].Size(), 10u);
    bool next = false;
    for (const auto& link : bundle["link"].GetArray())
        next |= std::string(link["relation"].GetString()) == "next" &&
                std::string(link["url"].GetString()).find("after=10") != std::string::npos;
    EXPECT_TRUE(next);

    for (std::size_t i = 0; i < bundle["entry"].Size(); ++i) {
        const auto& entry = bundle["entry"][static_cast<rapidjson::SizeType>(i)];
        EXPECT_TRUE(std::string(entry["fullUrl"].GetString()).starts_with("urn:uuid:"));
        const auto& event = entry["resource"];
        const audit::AuditEvent& seeded_event = events_[i];
        EXPECT_STREQ(event["resourceType"].GetString(), "AuditEvent");
        EXPECT_EQ(std::string(event["recorded"].GetString()), seeded_event.time);
        const auto* own = coding_with(event["subtype"], "urn:carebridge:audit-action");
        ASSERT_TRUE(own);
        EXPECT_EQ(std::string(own->operator[]("code").GetString()), audit::to_string(seeded_event.action));
        const std::string outcome = event["outcome"].GetString();
        const std::map<std::string, std::string> codes{{"success", "0"}, {"allow", "0"}, {"deny", "4"}, {"failed", "8"}};
        EXPECT_EQ(outcome, codes.at(seeded_event.outcome)) << seeded_event.outcome;
        // The person, by NHS number.
        bool patient = false;
        for (const auto& entity : event["entity"].GetArray())
            if (entity.HasMember("role") && std::string(entity["role"]["code"].GetString()) == "1") {
                EXPECT_STREQ(entity["what"]["identifier"]["system"].GetString(), "https://fhir.nhs.uk/Id/nhs-number");
                EXPECT_EQ(std::string(entity["what"]["identifier"]["value"].GetString()), seeded_event.patient);
                patient = true;
            }
        EXPECT_TRUE(patient);
        const std::string type = event["type"]["code"].GetString();
        switch (seeded_event.action) {
            case AuditAction::disclosed: {
                EXPECT_EQ(type, "110106");  // Export
                const auto* disclose = coding_with(event["subtype"], "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle");
                ASSERT_TRUE(disclose);
                EXPECT_STREQ((*disclose)["code"].GetString(), "disclose");
                EXPECT_STREQ(event["purposeOfEvent"][0]["coding"][0]["code"].GetString(), "TREAT");
                bool source = false, recipient = false;
                for (const auto& agent : event["agent"].GetArray()) {
                    const std::string role = agent["type"]["coding"][0]["code"].GetString();
                    const std::string who = agent["who"]["identifier"]["value"].GetString();
                    if (role == "110153") source = who == "RZZ";
                    if (role == "110152") recipient = who == seeded_event.recipient;
                }
                EXPECT_TRUE(source && recipient) << r.body;
                break;
            }
            case AuditAction::policy_decision: EXPECT_EQ(type, "110113"); break;  // an authorisation decision
            case AuditAction::read: EXPECT_EQ(type, "rest"); break;
            case AuditAction::received: EXPECT_EQ(type, "110107"); break;  // Import
            default: break;
        }
    }
}

// ---- who may see what ---------------------------------------------------------------

TEST_F(AuditApiTest, APartnerReadsOnlyItsOwnEntriesAndNeverTheSearchOrTheReport) {
    const Principal befriend = principal("befriend-inbox");
    const std::uint64_t before = log_size();
    // Searches and reports show NHS numbers its profile may withhold.
    EXPECT_EQ(get(befriend, "/audit/events?limit=1000").status, 403u);
    EXPECT_EQ(get(befriend, "/audit/events?organisation=befriend").status, 403u);
    EXPECT_EQ(get(befriend, "/audit/events?format=csv").status, 403u);
    EXPECT_EQ(get(befriend, "/audit/report?nhs=9990000085&format=json").status, 403u);
    EXPECT_EQ(log_size(), before);

    const auto theirs = expected([](const auto& e) { return e.actor_organisation != "DBF01" && e.recipient != "DBF01"; });
    const auto ours = expected([](const auto& e) { return e.recipient == "DBF01"; });
    ASSERT_FALSE(theirs.empty());
    ASSERT_FALSE(ours.empty());
    // Another's entry does not exist, for a partner: not its details, not its proof.
    EXPECT_EQ(get(befriend, "/audit/events/" + std::to_string(theirs.front())).status, 404u);
    EXPECT_EQ(get(befriend, "/audit/proof/" + std::to_string(theirs.front())).status, 404u);
    EXPECT_EQ(get(befriend, "/audit/events/" + std::to_string(ours.front())).status, 200u);
    EXPECT_EQ(get(befriend, "/audit/proof/" + std::to_string(ours.front())).status, 200u);
}

TEST_F(AuditApiTest, EveryRoleAgainstEveryAuditEndpoint) {
    const auto ours = expected([](const auto& e) { return e.recipient == "DBF01"; });
    ASSERT_FALSE(ours.empty());
    const std::string seq = std::to_string(ours.front());
    struct Row {
        std::string target;
        bool partner;  // a partner (its own entries) may read it too
    };
    const std::vector<Row> rows = {{"/audit/events", false},
                                   {"/audit/events/" + seq, true},
                                   {"/audit/report?nhs=9990000085", false},
                                   {"/audit/checkpoints/latest", true},
                                   {"/audit/checkpoints/consistency?from=1", true},
                                   {"/audit/proof/" + seq, true},
                                   {"/audit/verification", true}};
    for (const Row& row : rows) {
        const auto denied = [](unsigned status) { return status == 401u || status == 403u; };
        EXPECT_FALSE(denied(get(auditor(), row.target).status)) << row.target;
        EXPECT_FALSE(denied(get(principal("gateway-admin"), row.target).status)) << row.target;
        EXPECT_EQ(get(principal("trust-epr"), row.target).status, 403u) << row.target;  // a submitter
        const unsigned partner = get(principal("befriend-inbox"), row.target).status;
        if (row.partner)
            EXPECT_FALSE(denied(partner)) << row.target;
        else
            EXPECT_EQ(partner, 403u) << row.target;
    }
}

TEST_F(AuditApiTest, NoAnswerEverHoldsAPayload) {
    for (const auto& [target, accept] : std::vector<std::pair<std::string, std::string>>{
             {"/audit/events?limit=1000", ""},
             {"/audit/events?limit=1000", "text/csv"},
             {"/audit/events?limit=1000", "application/fhir+json"},
             {"/audit/events/1", ""},
             {"/audit/report?nhs=9990000085", "text/html"},
             {"/audit/report?nhs=9990000085", "application/json"}}) {
        const Response r = get(auditor(), target, accept);
        EXPECT_EQ(r.status, 200u) << target;
        EXPECT_EQ(r.body.find(payload_marker), std::string::npos) << target;
    }
}

// ---- every read is logged -----------------------------------------------------------

TEST_F(AuditApiTest, EveryReadIsLoggedBeforeTheReplyWithTheNhsNumberOnlyInThePatientField) {
    struct Case {
        std::string target, accept, query, patient;
    };
    const std::vector<Case> cases = {
        {"/audit/events?nhs=9990000085&action=disclosed", "", "audit-events", "9990000085"},
        {"/audit/events?organisation=DBF01", "text/csv", "audit-events", ""},
        {"/audit/events?recipient=DMN01", "application/fhir+json", "audit-events", ""},
        {"/audit/events/3", "", "audit-event", patients[2]},
        {"/audit/report?nhs=9990000018", "text/html", "audit-report", "9990000018"},
        {"/audit/report?nhs=9990000026&format=json", "", "audit-report", "9990000026"},
        {"/audit/proof/5", "", "audit-proof", ""},  // signs the checkpoint the next one reads
        {"/audit/checkpoints/latest", "", "audit-checkpoint", ""},
        {"/audit/verification", "", "audit-verification", ""},
    };
    for (const Case& c : cases) {
        const std::uint64_t before = log_size();
        const Response r = get(auditor(), c.target, c.accept);
        ASSERT_EQ(r.status, 200u) << c.target << "\n" << r.body;
        const audit::AuditEntry read = newest();
        EXPECT_GT(read.seq, before) << c.target;
        EXPECT_EQ(read.event.action, AuditAction::read) << c.target;
        EXPECT_EQ(read.event.actor_organisation, "QZZ");
        EXPECT_EQ(read.event.actor_client, "partnership-auditor");
        EXPECT_EQ(read.event.actor_role, "auditor");
        EXPECT_EQ(read.event.patient, c.patient) << c.target;
        EXPECT_NE(read.event.detail.find("\"query\":\"" + c.query + "\""), std::string::npos) << read.event.detail;
        for (const char* nhs : patients) EXPECT_EQ(read.event.detail.find(nhs), std::string::npos) << read.event.detail;
    }
}

TEST_F(AuditApiTest, WhenTheReadCannotBeLoggedTheAnswerIs503AndDisclosesNothing) {
    store_->close();  // every commit is now refused
    for (const char* target : {"/audit/events?nhs=9990000085", "/audit/events/1", "/audit/report?nhs=9990000085",
                               "/audit/proof/1"}) {
        const Response r = get(auditor(), target);
        EXPECT_EQ(r.status, 503u) << target;
        EXPECT_EQ(r.body.find("9990000085"), std::string::npos) << target;
        EXPECT_EQ(r.body.find("RZZ"), std::string::npos) << target;
    }
}

// ---- one entry, the report ---------------------------------------------------------------

TEST_F(AuditApiTest, OneEntryComesWithItsHashesAndTheirCheck) {
    ParsedJson json(get(auditor(), "/audit/events/7").body);
    ASSERT_TRUE(json.ok());
    const auto entry = entry_from(json.document);
    EXPECT_EQ(entry.seq, 7u);
    EXPECT_EQ(entry.event.patient, events_[6].patient);
    EXPECT_TRUE(json.document["hash_matches_contents"].GetBool());
    std::error_code error;
    const auto leaves = store_->audit_leaf_hashes(7, 7, error);
    ASSERT_EQ(leaves.size(), 1u);
    EXPECT_EQ(std::string(json.document["leaf_hash"].GetString()), audit::to_hex(leaves.front()));
    EXPECT_EQ(get(auditor(), "/audit/events/100000").status, 404u);
}

TEST_F(AuditApiTest, TheReportListsEveryDisclosureDeliveryAndReadAboutOnePersonInOrder) {
    audit::AuditEvent hostile = seeded(4);  // a read whose client name tries to be markup
    hostile.time = "2020-10-20T23:30:00.000Z";
    hostile.patient = "9990000026";
    hostile.actor_client = "<script>alert(1)</script>";
    store::WriteSet writes;
    writes.audit.push_back(hostile);
    ASSERT_FALSE(commit_and_wait(*store_, std::move(writes)).error);

    ParsedJson json(get(auditor(), "/audit/report?nhs=9990000026", "application/json").body);
    ASSERT_TRUE(json.ok());
    std::vector<std::uint64_t> seqs;
    for (const auto& item : json.document["entries"].GetArray()) {
        if (std::string(item["time"].GetString()) >= "2020-10-21") continue;  // this test's own reads
        seqs.push_back(item["seq"].GetUint64());
    }
    auto want = expected([](const auto& e) {
        return e.patient == "9990000026" && (e.action == AuditAction::disclosed || e.action == AuditAction::delivered ||
                                             e.action == AuditAction::read);
    });
    want.push_back(seeded_count + 1);
    EXPECT_EQ(seqs, want);
    EXPECT_FALSE(json.document["truncated"].GetBool());

    const Response html = get(auditor(), "/audit/report?nhs=9990000026");
    ASSERT_EQ(html.status, 200u);
    EXPECT_EQ(html.content_type, "text/html; charset=utf-8");
    EXPECT_NE(html.body.find("Who saw my data"), std::string::npos);
    EXPECT_NE(html.body.find("Northfield Befriending (DBF01)"), std::string::npos);
    EXPECT_EQ(html.body.find("<script>"), std::string::npos);
    EXPECT_NE(html.body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    const auto csp = std::find_if(html.headers.begin(), html.headers.end(),
                                  [](const auto& h) { return h.first == "Content-Security-Policy"; });
    ASSERT_NE(csp, html.headers.end());
    EXPECT_NE(csp->second.find("default-src 'none'"), std::string::npos);

    EXPECT_EQ(get(auditor(), "/audit/report").status, 400u);
    EXPECT_EQ(get(auditor(), "/audit/report?nhs=9990000086").status, 400u);
}

// ---- checkpoints and proofs ---------------------------------------------------------------

TEST_F(AuditApiTest, AnInclusionProofVerifiesAgainstTheSignedCheckpointAndTheEntrysOwnContents) {
    // The chain and leaves of the seeded events, computed here from what was committed.
    std::vector<audit::Hash> leaves;
    std::string previous(audit::genesis_hash), canonical;
    for (const auto& event : events_) {
        audit::canonical_entry(audit::text_of(event, previous), canonical);
        leaves.push_back(audit::leaf_hash(canonical));
        previous = audit::to_hex(audit::entry_hash(canonical));
    }
    // No checkpoint yet: asking for a proof signs one that covers the entry.
    {
        std::error_code error;
        EXPECT_FALSE(store_->latest_audit_checkpoint(error));
    }
    for (std::uint64_t seq : {1u, 2u, 17u, 33u, 40u}) {
        ParsedJson json(get(auditor(), "/audit/proof/" + std::to_string(seq)).body);
        ASSERT_TRUE(json.ok());
        const auto& proof = json.document;
        EXPECT_EQ(proof["seq"].GetUint64(), seq);
        EXPECT_EQ(proof["leaf_index"].GetUint64(), seq - 1);
        const std::uint64_t size = proof["tree_size"].GetUint64();
        EXPECT_GE(size, seq);
        std::vector<audit::Hash> path;
        for (const auto& h : proof["path"].GetArray()) path.push_back(*audit::hash_from_hex(h.GetString()));
        const auto root = audit::hash_from_hex(proof["root_hash"].GetString());
        ASSERT_TRUE(root);

        // The leaf, recomputed here from the events as they were committed, not taken from the answer.
        const audit::Hash leaf = leaves[seq - 1];
        EXPECT_EQ(audit::to_hex(leaf), proof["leaf_hash"].GetString());
        EXPECT_TRUE(audit::verify_inclusion(leaf, seq - 1, size, path, *root)) << "entry " << seq;

        // The checkpoint it is against is signed by the store's key.
        audit::Checkpoint checkpoint;
        checkpoint.tree_size = proof["checkpoint"]["tree_size"].GetUint64();
        checkpoint.root_hash = *audit::hash_from_hex(proof["checkpoint"]["root_hash"].GetString());
        checkpoint.time = proof["checkpoint"]["time"].GetString();
        checkpoint.signature = proof["checkpoint"]["signature"].GetString();
        checkpoint.key_id = proof["checkpoint"]["key_id"].GetString();
        EXPECT_EQ(checkpoint.tree_size, size);
        EXPECT_EQ(checkpoint.root_hash, *root);
        EXPECT_TRUE(store_->audit_public_key().verify(checkpoint));

        // A wrong leaf or index does not verify.
        audit::Hash other = leaf;
        other[0] ^= 1;
        EXPECT_FALSE(audit::verify_inclusion(other, seq - 1, size, path, *root));
    }
}

TEST_F(AuditApiTest, TheLatestCheckpointComesWithTheKeyThatChecksIt) {
    // None signed yet: the first is signed when it is asked for.
    ParsedJson json(get(auditor(), "/audit/checkpoints/latest").body);
    ASSERT_TRUE(json.ok());
    std::string message;
    const auto key = audit::PublicKey::from_pem(json.document["public_key_pem"].GetString(), message);
    ASSERT_TRUE(key) << message;
    audit::Checkpoint checkpoint;
    checkpoint.tree_size = json.document["tree_size"].GetUint64();
    checkpoint.root_hash = *audit::hash_from_hex(json.document["root_hash"].GetString());
    checkpoint.time = json.document["time"].GetString();
    checkpoint.signature = json.document["signature"].GetString();
    checkpoint.key_id = json.document["key_id"].GetString();
    EXPECT_EQ(key->id(), checkpoint.key_id);
    EXPECT_TRUE(key->verify(checkpoint));
    EXPECT_TRUE(json.document["signature_valid"].GetBool());
    EXPECT_EQ(std::string(json.document["signed_bytes"].GetString()),
              audit::checkpoint_bytes(checkpoint.tree_size, checkpoint.root_hash, checkpoint.time));
}

TEST_F(AuditApiTest, AConsistencyProofShowsTheOlderCheckpointIsAPrefixOfTheNewer) {
    const auto first = commit_and_wait(*store_, [] {
        store::WriteSet w;
        w.sign_audit_checkpoint = true;
        return w;
    }());
    ASSERT_TRUE(first.checkpoint);
    store::WriteSet more;
    for (int i = 0; i < 13; ++i) more.audit.push_back(seeded(i));
    more.sign_audit_checkpoint = true;
    const auto second = commit_and_wait(*store_, std::move(more));
    ASSERT_TRUE(second.checkpoint);
    const std::uint64_t m = first.checkpoint->tree_size, n = second.checkpoint->tree_size;

    ParsedJson json(get(auditor(), "/audit/checkpoints/consistency?from=" + std::to_string(m) + "&to=" +
                                       std::to_string(n))
                        .body);
    ASSERT_TRUE(json.ok());
    std::vector<audit::Hash> path;
    for (const auto& h : json.document["path"].GetArray()) path.push_back(*audit::hash_from_hex(h.GetString()));
    EXPECT_EQ(json.document["from"]["tree_size"].GetUint64(), m);
    EXPECT_EQ(json.document["to"]["tree_size"].GetUint64(), n);
    EXPECT_TRUE(audit::verify_consistency(m, n, first.checkpoint->root_hash, second.checkpoint->root_hash, path));
    EXPECT_FALSE(audit::verify_consistency(m, n, second.checkpoint->root_hash, second.checkpoint->root_hash, path));

    // Without to=, against the latest checkpoint.
    ParsedJson latest(get(auditor(), "/audit/checkpoints/consistency?from=" + std::to_string(m)).body);
    ASSERT_TRUE(latest.ok());
    EXPECT_EQ(latest.document["to"]["tree_size"].GetUint64(), n);

    EXPECT_EQ(get(auditor(), "/audit/checkpoints/consistency?from=3").status, 404u);  // no checkpoint of size 3
    EXPECT_EQ(get(auditor(), "/audit/checkpoints/consistency?from=" + std::to_string(n) + "&to=" + std::to_string(m))
                  .status,
              400u);
    EXPECT_EQ(get(auditor(), "/audit/checkpoints/consistency").status, 400u);
}

// ---- the verification status ---------------------------------------------------------------

TEST_F(AuditApiTest, VerificationReportsAnIntactLogThenReusesItsResultAndAFreshCheckFindsTampering) {
    ASSERT_EQ(get(auditor(), "/audit/proof/1").status, 200u);  // a checkpoint to check too
    ParsedJson first(get(auditor(), "/audit/verification").body);
    ASSERT_TRUE(first.ok());
    EXPECT_STREQ(first.document["status"].GetString(), "intact");
    EXPECT_GE(first.document["entries"].GetUint64(), static_cast<std::uint64_t>(seeded_count));
    EXPECT_FALSE(first.document["reused"].GetBool());
    EXPECT_TRUE(first.document["last_checkpoint"].IsObject());
    ParsedJson second(get(auditor(), "/audit/verification").body);
    EXPECT_TRUE(second.document["reused"].GetBool());

    // Someone with the file drops the append-only triggers and edits an entry.
    execute_sql(dir_.database(),
                "DROP TRIGGER IF EXISTS audit_entries_append_only_update; "
                "UPDATE audit_entries SET recipient = 'DXX99' WHERE seq = 8");
    // A verifier that keeps nothing: the next status is a fresh check.
    api_.emplace(AuditApi{*store_, config_,
                          std::make_shared<api::AuditVerifier>(*store_,
                                                                std::chrono::seconds(0))});
    ParsedJson tampered(get(auditor(), "/audit/verification").body);
    ASSERT_TRUE(tampered.ok());
    EXPECT_STREQ(tampered.document["status"].GetString(), "tampered");
    EXPECT_EQ(tampered.document["first_bad"].GetUint64(), 8u);
}

// ---- the page's files ------------------------------------------------------------------------

TEST(UiAssets, ThePageAndItsFilesAreServedWithASelfOnlyPolicy) {
    using http::Method;
    const auto page = ui::match_ui_route(Method::get, "/ui/audit");
    ASSERT_TRUE(page.matched);
    ASSERT_TRUE(page.file);
    const Response html = ui::ui_asset_response(page);
    EXPECT_EQ(html.status, 200u);
    EXPECT_EQ(html.content_type, "text/html; charset=utf-8");
    EXPECT_NE(html.body.find("<html lang=\"en\">"), std::string::npos);
    const auto csp = std::find_if(html.headers.begin(), html.headers.end(),
                                  [](const auto& h) { return h.first == "Content-Security-Policy"; });
    ASSERT_NE(csp, html.headers.end());
    EXPECT_TRUE(csp->second.starts_with("default-src 'self'"));
    // Nothing the page ships reaches outside the gateway.
    for (const char* name : {"/ui/audit/", "/ui/audit/audit.js", "/ui/audit/audit.css"}) {
        const auto route = ui::match_ui_route(Method::get, name);
        ASSERT_TRUE(route.file) << name;
        const Response r = ui::ui_asset_response(route);
        for (const char* outward : {"src=\"http", "href=\"http", "url(http", "fetch('http", "fetch(\"http", "@import",
                                    "//cdn", "XMLHttpRequest"})
            EXPECT_EQ(r.body.find(outward), std::string::npos) << name << ": " << outward;
    }
    EXPECT_EQ(ui::ui_asset_response(ui::match_ui_route(Method::get, "/ui/audit/audit.js")).content_type,
              "text/javascript; charset=utf-8");
    const auto missing = ui::match_ui_route(Method::get, "/ui/audit/../../etc/passwd");
    EXPECT_TRUE(missing.matched);
    EXPECT_FALSE(missing.file);
    EXPECT_EQ(ui::ui_asset_response(missing).status, 404u);
    EXPECT_FALSE(ui::match_ui_route(Method::get, "/ui/auditor").matched);
    EXPECT_FALSE(ui::match_ui_route(Method::post, "/ui/audit").method_ok);
}

}  // namespace
