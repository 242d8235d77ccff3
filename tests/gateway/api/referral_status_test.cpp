// The status round trip on the demo partnership: the Trust refers Danny to
// Northfield Befriending, the charity says what became of the referral, the
// step lands in the referral's history and the audit log, and the Trust (and
// the care plan's other organisations) are queued a notification. Two
// declines make the referral bouncing, and everyone told hears so.
#include <gtest/gtest.h>

#include <thread>

#include "audit/audit_query.hpp"
#include "config/config.hpp"
#include "server/server.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "support/demo_gateway.hpp"
#include "support/gateway_fixture.hpp"

namespace carebridge::testing {
namespace {


using Headers = std::vector<std::pair<std::string, std::string>>;
Headers as(const std::string& token) { return {{"Authorization", bearer(token)}}; }

// The Trust sends the demo referral; its message id.
std::string refer(HttpClient& c) {
    auto r = c.post("/fhir", "application/fhir+json",
                    read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "config/demo-referral.json"),
                    as("demo-trust"));
    EXPECT_EQ(r.status, 201u) << r.body;
    return r.header("Location").substr(std::string("/referrals/").size());
}

std::unique_ptr<gateway::store::Store> open_store(const std::filesystem::path& directory) {
    gateway::store::SqliteOptions options;
    options.directory = directory.string();
    std::error_code ec;
    std::string message;
    auto store = gateway::store::open_sqlite_store(options, ec, message);
    EXPECT_TRUE(store) << message;
    return store;
}

TEST(ReferralStatus, AcceptanceReachesTheHistoryTheLogAndTheOriginator) {
    TempDir temp;
    std::string id;
    {
        DemoGateway gw(temp.path());
        ASSERT_TRUE(gw.ok());
        auto c = gw.client();
        id = refer(c);
        ASSERT_FALSE(id.empty());

        auto r = c.post("/referrals/" + id + "/status", "application/json",
                        R"({"status": "accepted", "reason": "first visit booked", "service": "befriending"})",
                        as("demo-befriend"));
        ASSERT_EQ(r.status, 201u) << r.body;
        EXPECT_NE(r.body.find(R"("status":"accepted")"), std::string::npos) << r.body;
        EXPECT_NE(r.body.find(R"("bouncing":false)"), std::string::npos) << r.body;
        EXPECT_NE(r.body.find(R"("notified":["RZZ"])"), std::string::npos)
            << "the Trust sent it; the charity is the care plan's other organisation and posted it itself: " << r.body;

        // The history is read by the parties, and by nobody else.
        auto history = c.get("/referrals/" + id + "/history", as("demo-trust"));
        ASSERT_EQ(history.status, 200u) << history.body;
        EXPECT_NE(history.body.find(R"("organisation":"DBF01","service":"befriending","status":"accepted")"),
                  std::string::npos)
            << history.body;
        EXPECT_EQ(c.get("/referrals/" + id + "/history", as("demo-befriend")).status, 200u);
        EXPECT_EQ(c.get("/referrals/" + id + "/history", as("demo-admin")).status, 200u);
        EXPECT_EQ(c.get("/referrals/" + id + "/history", as("demo-mind")).status, 404u);
        EXPECT_EQ(c.get("/referrals/" + id + "/history", as("demo-auditor")).status, 403u);
    }

    auto store = open_store(temp.path());
    ASSERT_TRUE(store);
    std::error_code ec;
    auto steps = store->referral_history(id, ec);
    ASSERT_FALSE(ec);
    ASSERT_EQ(steps.size(), 1u);
    EXPECT_EQ(steps[0].organisation, "befriend");
    EXPECT_EQ(steps[0].status, "accepted");
    EXPECT_EQ(steps[0].reason, "first visit booked");
    EXPECT_FALSE(steps[0].time.empty());

    // The Trust has no partner role, so it has no inbox page: its notification is in the outbox.
    gateway::store::OutboxQuery query;
    query.recipient = "trust";
    auto items = store->find_outbox_items(query, ec);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].message_id, id);
    EXPECT_EQ(items[0].content_type, "application/vnd.carebridge.partnership-status+json");
    EXPECT_NE(items[0].payload.find(R"("schema":"partnership-status/1")"), std::string::npos) << items[0].payload;
    EXPECT_NE(items[0].payload.find(R"("organisation":"DBF01")"), std::string::npos) << items[0].payload;
    EXPECT_NE(items[0].payload.find(R"("history":[)"), std::string::npos) << items[0].payload;
    EXPECT_EQ(items[0].payload.find("9990000085"), std::string::npos) << "no patient data in a notification";
    // Being told of a status does not make the Trust a recipient of its own referral.
    auto recipients = store->message_recipients(id, ec);
    EXPECT_EQ(recipients, (std::vector<std::string>{"befriend"}));

    gateway::audit::AuditQuery audit;
    audit.actions = {gateway::audit::AuditAction::status_changed};
    auto changed = store->find_audit_entries(audit, ec);
    ASSERT_FALSE(ec);
    ASSERT_EQ(changed.size(), 1u);
    EXPECT_EQ(changed[0].event.actor_organisation, "DBF01");
    EXPECT_EQ(changed[0].event.actor_role, "partner");
    EXPECT_EQ(changed[0].event.patient, "9990000085");
    EXPECT_EQ(changed[0].event.recipient, "RZZ");
    EXPECT_NE(changed[0].event.detail.find("accepted"), std::string::npos) << changed[0].event.detail;
    EXPECT_NE(changed[0].event.detail.find("befriending"), std::string::npos) << changed[0].event.detail;
    store->close();
}

TEST(ReferralStatus, OnlyTheReferralsPartiesMayPostAndOnlyKnownStatuses) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    auto c = gw.client();
    const std::string id = refer(c);
    const std::string target = "/referrals/" + id + "/status";
    const std::string accepted = R"({"status": "accepted"})";

    // Mind was not sent this referral: it is answered as if there were none.
    EXPECT_EQ(c.post(target, "application/json", accepted, as("demo-mind")).status, 404u);
    // The council submits and receives, but was not a party to this one.
    EXPECT_EQ(c.post(target, "application/json", accepted, as("demo-council")).status, 404u);
    EXPECT_EQ(c.post("/referrals/00000000-0000-4000-8000-000000000000/status", "application/json", accepted,
                     as("demo-befriend"))
                  .status,
              404u);
    EXPECT_EQ(c.post(target, "application/json", accepted, as("demo-auditor")).status, 403u);
    EXPECT_EQ(c.post(target, "application/json", accepted).status, 401u);
    EXPECT_EQ(c.get(target, as("demo-befriend")).status, 405u);

    EXPECT_EQ(c.post(target, "application/json", "{not json", as("demo-befriend")).status, 400u);
    EXPECT_EQ(c.post(target, "application/json", R"({"status": "lost"})", as("demo-befriend")).status, 422u);
    EXPECT_EQ(c.post(target, "application/json", R"({"reason": "no status"})", as("demo-befriend")).status, 422u);
    EXPECT_EQ(c.post(target, "application/json", R"({"status": "accepted", "service": "peer-support"})",
                     as("demo-befriend"))
                  .status,
              422u)
        << "peer support is Mind's service, not the charity's";

    auto history = c.get("/referrals/" + id + "/history", as("demo-trust"));
    ASSERT_EQ(history.status, 200u);
    EXPECT_NE(history.body.find(R"("history":[])"), std::string::npos) << "nothing refused was recorded: "
                                                                        << history.body;
}

TEST(ReferralStatus, TwoDeclinesMakeTheReferralBouncingAndTheOriginatorIsTold) {
    TempDir temp;
    std::string id;
    {
        DemoGateway gw(temp.path());
        ASSERT_TRUE(gw.ok());
        auto c = gw.client();
        id = refer(c);
        const std::string target = "/referrals/" + id + "/status";

        auto first = c.post(target, "application/json",
                            R"({"status": "declined", "reason": "outside our area", "service": "befriending"})",
                            as("demo-befriend"));
        ASSERT_EQ(first.status, 201u) << first.body;
        EXPECT_NE(first.body.find(R"("bouncing":false)"), std::string::npos) << "one decline is not a bounce";

        // A repeat of the same decline by the same service is still one service declining.
        auto repeat = c.post(target, "application/json", R"({"status": "declined", "service": "befriending"})",
                             as("demo-befriend"));
        ASSERT_EQ(repeat.status, 201u) << repeat.body;
        EXPECT_NE(repeat.body.find(R"("bouncing":false)"), std::string::npos) << repeat.body;

        // The Trust's own service declines it too: two services have turned it away.
        auto second = c.post(target, "application/json", R"({"status": "declined", "reason": "not eligible"})",
                             as("demo-trust"));
        ASSERT_EQ(second.status, 201u) << second.body;
        EXPECT_NE(second.body.find(R"("bouncing":true)"), std::string::npos) << second.body;
        EXPECT_NE(second.body.find(R"("notified":["DBF01"])"), std::string::npos)
            << "the care plan names the charity: " << second.body;

        auto history = c.get("/referrals/" + id + "/history", as("demo-befriend"));
        ASSERT_EQ(history.status, 200u);
        EXPECT_NE(history.body.find(R"("bouncing":true)"), std::string::npos) << history.body;
        EXPECT_NE(history.body.find("outside our area"), std::string::npos) << history.body;
        EXPECT_NE(history.body.find("not eligible"), std::string::npos) << history.body;

        // The charity is told in its inbox, with the history.
        auto inbox = c.get("/partners/befriend/inbox", as("demo-befriend"));
        ASSERT_EQ(inbox.status, 200u);
        EXPECT_NE(inbox.body.find(R"("schema":"partnership-status/1")"), std::string::npos) << inbox.body;
        EXPECT_NE(inbox.body.find(R"("bouncing":true)"), std::string::npos) << inbox.body;
    }

    auto store = open_store(temp.path());
    ASSERT_TRUE(store);
    std::error_code ec;
    gateway::store::OutboxQuery query;
    query.recipient = "trust";
    auto items = store->find_outbox_items(query, ec);
    ASSERT_EQ(items.size(), 2u) << "the Trust heard of both of the charity's declines";
    EXPECT_NE(items[0].idempotency_key, items[1].idempotency_key);
    EXPECT_NE(items[1].payload.find("outside our area"), std::string::npos) << "with the history so far";

    gateway::audit::AuditQuery audit;
    audit.actions = {gateway::audit::AuditAction::status_changed};
    std::vector<std::string> details;
    for (const auto& e : store->find_audit_entries(audit, ec)) {
        EXPECT_EQ(e.event.message_id, id);
        details.push_back(e.event.detail);
    }
    ASSERT_EQ(details.size(), 3u);
    EXPECT_EQ(details[1].find("bouncing"), std::string::npos) << details[1];
    EXPECT_NE(details[2].find(R"("bouncing":true)"), std::string::npos) << details[2];
    store->close();
}

// ---- status as a FHIR Task ----

// A Task as a FHIR-speaking partner system would post it.
std::string task(const std::string& focus, const std::string& status, const std::string& business = "",
                 const std::string& extra = "") {
    std::string t = R"({"resourceType": "Task", "status": ")" + status + R"(", "intent": "order")";
    if (!focus.empty()) t += R"(, "focus": {"reference": "ServiceRequest/)" + focus + R"("})";
    if (!business.empty())
        t += R"(, "businessStatus": {"coding": [{"system": "https://fhir.carebridge.example/CodeSystem/referral-status", "code": ")" +
             business + R"("}]})";
    return t + extra + "}";
}

TEST(ReferralStatus, AFhirTaskSetsTheStatusOnEitherPathAndIsAnsweredWithItself) {
    TempDir temp;
    std::string id;
    {
        DemoGateway gw(temp.path());
        ASSERT_TRUE(gw.ok());
        auto c = gw.client();
        id = refer(c);

        // Declined on the referral's own path, with the reason in statusReason.
        auto declined = c.post("/referrals/" + id + "/status", "application/fhir+json",
                               task(id, "rejected", "",
                                    R"(, "statusReason": {"text": "waiting list closed"},
                                       "owner": {"reference": "HealthcareService/befriending"},
                                       "for": {"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000085"}})"),
                               as("demo-befriend"));
        ASSERT_EQ(declined.status, 201u) << declined.body;
        EXPECT_EQ(declined.header("Content-Type"), "application/fhir+json");
        EXPECT_NE(declined.body.find(R"("resourceType":"Task")"), std::string::npos) << declined.body;
        EXPECT_NE(declined.body.find(R"("id":")" + id + R"(-1")"), std::string::npos) << declined.body;
        EXPECT_NE(declined.body.find(R"("lastUpdated":")"), std::string::npos) << declined.body;

        // Then, at the FHIR base, completed refined to discharged by businessStatus.
        auto discharged =
            c.post("/fhir/Task", "application/fhir+json", task(id, "completed", "discharged"), as("demo-befriend"));
        ASSERT_EQ(discharged.status, 201u) << discharged.body;
        EXPECT_EQ(discharged.header("Location"), "/referrals/" + id + "/history");

        // In-progress is "contacted" when businessStatus does not say otherwise.
        auto contacted = c.post("/fhir/Task", "application/fhir+json", task(id, "in-progress"), as("demo-befriend"));
        ASSERT_EQ(contacted.status, 201u) << contacted.body;

        auto history = c.get("/referrals/" + id + "/history", as("demo-trust"));
        ASSERT_EQ(history.status, 200u);
        EXPECT_NE(history.body.find(
                      R"("organisation":"DBF01","service":"befriending","status":"declined","reason":"waiting list closed")"),
                  std::string::npos)
            << history.body;
        EXPECT_NE(history.body.find(R"("status":"discharged")"), std::string::npos) << history.body;
        EXPECT_NE(history.body.find(R"("status":"contacted")"), std::string::npos) << history.body;
    }
    auto store = open_store(temp.path());
    ASSERT_TRUE(store);
    std::error_code ec;
    gateway::store::OutboxQuery query;
    query.recipient = "trust";
    auto items = store->find_outbox_items(query, ec);
    ASSERT_EQ(items.size(), 3u) << "the originator hears of each Task";
    EXPECT_NE(items[1].payload.find(R"("status":"discharged")"), std::string::npos) << items[1].payload;
    gateway::audit::AuditQuery audit;
    audit.actions = {gateway::audit::AuditAction::status_changed};
    auto changed = store->find_audit_entries(audit, ec);
    ASSERT_EQ(changed.size(), 3u);
    EXPECT_NE(changed[0].event.detail.find(R"("as":"Task")"), std::string::npos) << changed[0].event.detail;
    store->close();
}

TEST(ReferralStatus, ATaskThatDoesNotFitIsRefusedAndChangesNothing) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    auto c = gw.client();
    const std::string id = refer(c);
    const auto post = [&](const std::string& path, const std::string& body, const std::string& token = "demo-befriend") {
        return c.post(path, "application/fhir+json", body, as(token));
    };
    const std::string on_path = "/referrals/" + id + "/status";

    // Rejected cannot be accepted at the same time.
    EXPECT_EQ(post("/fhir/Task", task(id, "rejected", "accepted")).status, 422u);
    // A businessStatus outside the partnership's list.
    EXPECT_EQ(post("/fhir/Task", task(id, "in-progress", "lost")).status, 422u);
    // Not an R4 Task status; entered in error; a status only the originator sets.
    EXPECT_EQ(post("/fhir/Task", task(id, "finished")).status, 422u);
    EXPECT_EQ(post("/fhir/Task", task(id, "entered-in-error")).status, 422u);
    EXPECT_EQ(post("/fhir/Task", task(id, "cancelled")).status, 422u);
    // Without intent, without a focus at the FHIR base, or a focus on another referral.
    EXPECT_EQ(post("/fhir/Task", R"({"resourceType": "Task", "status": "accepted", "focus": {"reference": "ServiceRequest/)" +
                                     id + R"("}})")
                  .status,
              422u);
    EXPECT_EQ(post("/fhir/Task", task("", "accepted")).status, 422u);
    EXPECT_EQ(post(on_path, task("00000000-0000-4000-8000-000000000000", "accepted")).status, 422u);
    EXPECT_EQ(post("/fhir/Task", R"({"resourceType": "Task", "status": "accepted", "intent": "order",
                                     "focus": {"reference": "Patient/1"}})")
                  .status,
              422u);
    // About another person.
    EXPECT_EQ(post("/fhir/Task", task(id, "accepted", "",
                                      R"(, "for": {"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000018"}})"))
                  .status,
              422u);
    // Another resource, and a service the charity does not run.
    EXPECT_EQ(post("/fhir/Task", R"({"resourceType": "Patient"})").status, 422u);
    EXPECT_EQ(post(on_path, R"({"resourceType": "Observation", "status": "final"})").status, 422u);
    EXPECT_EQ(post("/fhir/Task", task(id, "accepted", "", R"(, "owner": {"reference": "HealthcareService/peer-support"})"))
                  .status,
              422u);
    // Mind was not sent the referral: as if it did not exist.
    EXPECT_EQ(post("/fhir/Task", task(id, "accepted"), "demo-mind").status, 404u);
    EXPECT_EQ(c.get("/fhir/Task", as("demo-befriend")).status, 405u);

    auto history = c.get("/referrals/" + id + "/history", as("demo-trust"));
    ASSERT_EQ(history.status, 200u);
    EXPECT_NE(history.body.find(R"("history":[])"), std::string::npos) << "nothing was recorded: " << history.body;
}

// ---- red referrals' escalation ----

// The demo referral, made red (FHIR priority asap).
std::string red_referral() {
    std::string body = read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "config/demo-referral.json");
    const std::string urgent = R"("priority": "urgent")";
    body.replace(body.find(urgent), urgent.size(), R"("priority": "asap")");
    return body;
}

std::string refer_red(HttpClient& c, const std::string& key) {
    Headers headers = as("demo-trust");
    headers.emplace_back("Idempotency-Key", key);
    auto r = c.post("/fhir", "application/fhir+json", red_referral(), headers);
    EXPECT_EQ(r.status, 201u) << r.body;
    return r.header("Location").substr(std::string("/referrals/").size());
}

std::uint64_t escalations_metric(HttpClient& c) {
    const auto metrics = c.get("/metrics").body;
    const std::string name = "\ncarebridge_referral_escalations_total ";  // the sample, not the HELP line
    const auto at = metrics.find(name);
    return at == std::string::npos ? ~0ull : std::stoull(metrics.substr(at + name.size()));
}

TEST(ReferralStatus, ARedReferralNobodyAcceptsInTimeIsEscalatedToItsOriginatorOnce) {
    TempDir temp;
    std::string overdue, taken;
    {
        DemoGateway gw(temp.path(), [](gateway::config::Config& config) {
            config.red_escalation_after = std::chrono::seconds(2);
        });
        ASSERT_TRUE(gw.ok());
        auto c = gw.client();
        EXPECT_EQ(escalations_metric(c), 0u);
        // One the charity accepts at once, one nobody answers, and an urgent (amber) one that is not timed.
        taken = refer_red(c, "red-taken");
        ASSERT_EQ(c.post("/referrals/" + taken + "/status", "application/json", R"({"status": "accepted"})",
                         as("demo-befriend"))
                      .status,
                  201u);
        overdue = refer_red(c, "red-overdue");
        const std::string amber = refer(c);

        // Bounded wait: the timer is due after 2 s and checked every second.
        std::string history;
        for (int i = 0; i < 200 && history.find("escalated") == std::string::npos; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            history = c.get("/referrals/" + overdue + "/history", as("demo-trust")).body;
        }
        ASSERT_NE(history.find(R"("organisation":"gateway","status":"escalated")"), std::string::npos) << history;
        EXPECT_NE(history.find("not accepted within 2 seconds of being sent"), std::string::npos) << history;
        EXPECT_EQ(escalations_metric(c), 1u);
        // Another round or two passes and nothing fires twice.
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));
        EXPECT_EQ(escalations_metric(c), 1u);
        EXPECT_EQ(c.get("/referrals/" + taken + "/history", as("demo-trust")).body.find("escalated"),
                  std::string::npos);
        EXPECT_EQ(c.get("/referrals/" + amber + "/history", as("demo-trust")).body.find("escalated"),
                  std::string::npos);
    }
    auto store = open_store(temp.path());
    ASSERT_TRUE(store);
    std::error_code ec;
    const auto steps = store->referral_history(overdue, ec);
    ASSERT_EQ(steps.size(), 1u);
    EXPECT_EQ(steps[0].status, "escalated");
    gateway::store::OutboxQuery query;
    query.recipient = "trust";
    auto items = store->find_outbox_items(query, ec);
    const auto notice = std::find_if(items.begin(), items.end(), [&](const auto& item) {
        return item.message_id == overdue && item.payload.find(R"("status":"escalated")") != std::string::npos;
    });
    ASSERT_NE(notice, items.end()) << "the Trust is sent a status notice";
    EXPECT_EQ(notice->content_type, "application/vnd.carebridge.partnership-status+json");
    gateway::audit::AuditQuery audit;
    audit.actions = {gateway::audit::AuditAction::status_changed};
    std::vector<gateway::audit::AuditEntry> changed;
    for (auto& e : store->find_audit_entries(audit, ec))
        if (e.event.message_id == overdue) changed.push_back(std::move(e));
    ASSERT_EQ(changed.size(), 1u);
    EXPECT_EQ(changed[0].event.actor_role, "gateway");
    EXPECT_EQ(changed[0].event.recipient, "RZZ");
    EXPECT_NE(changed[0].event.detail.find(R"("status":"escalated")"), std::string::npos) << changed[0].event.detail;
    store->close();
}

}  // namespace
}  // namespace carebridge::testing
