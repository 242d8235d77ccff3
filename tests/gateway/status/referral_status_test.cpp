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

}  // namespace
}  // namespace carebridge::testing
