// The triage queue over HTTP on the demo partnership: a referral the
// directory cannot route (unknown organisation, closed service, no route)
// from the Trust's EPR (which triages, the default) is answered 202 with an
// OperationOutcome and a Task to poll, never a bare 422; the GP system
// (configured "on_unroutable": "reject") still gets 422. An admin lists the
// queue, re-routes an item through the normal checks to a partner's inbox, or
// returns it to its sender with a reason; each step is audited and the Task
// follows it. Other roles get 403.
#include <gtest/gtest.h>

#include "audit/audit_query.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "support/demo_gateway.hpp"
#include "support/gateway_fixture.hpp"

namespace carebridge::testing {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

Headers as(const char* token) { return {{"Authorization", bearer(token)}}; }

std::string golden_referral() {
    return read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "tests/golden/referral.json");
}

// The golden referral with its one target replaced (`target` empty: none).
std::string referral_to(const std::string& target) {
    std::string referral = golden_referral();
    const std::string original = R"({ "organisation": "DBF01", "service": "befriending" })";
    const auto at = referral.find(original);
    EXPECT_NE(at, std::string::npos);
    referral.replace(at, original.size(), target);
    return referral;
}

std::string unknown_organisation() { return referral_to(R"({ "organisation": "RXX99", "service": "befriending" })"); }
std::string closed_service() { return referral_to(R"({ "organisation": "DMN01", "service": "crisis-cafe" })"); }

std::string id_from(const Response& r) {
    const std::string location = r.header("Location");
    const std::string prefix = "/fhir/Task/";
    EXPECT_TRUE(location.starts_with(prefix)) << location;
    return location.starts_with(prefix) ? location.substr(prefix.size()) : std::string();
}

bool has(const std::string& body, const std::string& text) { return body.find(text) != std::string::npos; }

std::vector<gateway::audit::AuditEntry> entries_for(const std::filesystem::path& dir, const std::string& message_id) {
    gateway::store::SqliteOptions options;
    options.directory = dir.string();
    std::error_code ec;
    std::string message;
    auto store = gateway::store::open_sqlite_store(options, ec, message);
    EXPECT_TRUE(store) << message;
    if (!store) return {};
    std::vector<gateway::audit::AuditEntry> found;
    for (auto& e : store->find_audit_entries(gateway::audit::AuditQuery{}, ec))
        if (e.event.message_id == message_id) found.push_back(std::move(e));
    store->close();
    return found;
}

TEST(TriageApi, AnUnknownOrganisationIsHeldForTriageAndAnAdminReroutesItToThePartnersInbox) {
    TempDir temp;
    std::string id;
    {
        DemoGateway gw(temp.path());
        ASSERT_TRUE(gw.ok());
        auto c = gw.client();
        Headers trust = as("demo-trust");
        trust.emplace_back("Idempotency-Key", "triage-unknown-1");
        auto r = c.post("/referrals", "application/json", unknown_organisation(), trust);
        ASSERT_EQ(r.status, 202u) << r.body;
        EXPECT_TRUE(has(r.body, "\"resourceType\":\"OperationOutcome\"")) << r.body;
        EXPECT_TRUE(has(r.body, "held for triage")) << r.body;
        EXPECT_TRUE(has(r.body, "RXX99")) << "the outcome says why: " << r.body;
        id = id_from(r);
        ASSERT_FALSE(id.empty());
        EXPECT_EQ(r.header("Content-Location"), "/referrals/" + id);

        // The resend is the same item, answered the same way.
        auto again = c.post("/referrals", "application/json", unknown_organisation(), trust);
        ASSERT_EQ(again.status, 202u) << again.body;
        EXPECT_EQ(id_from(again), id);
        EXPECT_EQ(again.header("Idempotent-Replayed"), "true");

        // The Trust polls its Task: received, in triage.
        auto task = c.get("/fhir/Task/" + id, as("demo-trust"));
        ASSERT_EQ(task.status, 200u) << task.body;
        EXPECT_TRUE(has(task.body, "\"resourceType\":\"Task\"")) << task.body;
        EXPECT_TRUE(has(task.body, "\"status\":\"received\"")) << task.body;
        EXPECT_TRUE(has(task.body, "\"code\":\"triage\"")) << task.body;
        EXPECT_TRUE(has(task.body, "\"reference\":\"ServiceRequest/" + id + "\"")) << task.body;
        EXPECT_EQ(c.get("/fhir/Task/" + id, as("demo-council")).status, 404u) << "not the council's referral";

        // The admin's queue lists it once.
        auto queue = c.get("/triage", as("demo-admin"));
        ASSERT_EQ(queue.status, 200u) << queue.body;
        EXPECT_TRUE(has(queue.body, "\"id\":\"" + id + "\"")) << queue.body;
        EXPECT_TRUE(has(queue.body, "\"kind\":\"unknown-organisation\"")) << queue.body;
        EXPECT_TRUE(has(queue.body, "\"state\":\"open\"")) << queue.body;
        EXPECT_TRUE(has(queue.body, "\"sender_ods\":\"RZZ\"")) << queue.body;
        EXPECT_TRUE(has(queue.body, "\"next\":null")) << queue.body;
        EXPECT_EQ(queue.body.find("\"id\":\"" + id + "\""), queue.body.rfind("\"id\":\"" + id + "\""));
        EXPECT_FALSE(has(queue.body, "9990000085")) << "the queue names no patient";
        EXPECT_FALSE(has(c.get("/partners/befriend/inbox", as("demo-befriend")).body, "Whitfield"))
            << "nothing went anywhere yet";

        // Re-routed to befriending: through the agreement and the profile, into the charity's inbox.
        auto rerouted = c.post("/triage/" + id + "/$reroute", "application/json",
                               R"({"service": "befriending", "note": "DBF01 is the charity's code"})",
                               as("demo-admin"));
        ASSERT_EQ(rerouted.status, 200u) << rerouted.body;
        EXPECT_TRUE(has(rerouted.body, "\"state\":\"rerouted\"")) << rerouted.body;
        EXPECT_TRUE(has(rerouted.body, "trust-befriend-direct-care")) << rerouted.body;
        auto inbox = c.get("/partners/befriend/inbox", as("demo-befriend"));
        ASSERT_EQ(inbox.status, 200u) << inbox.body;
        EXPECT_TRUE(has(inbox.body, "Whitfield")) << inbox.body;
        EXPECT_FALSE(has(inbox.body, "F20.0")) << "minimised as any referral to the charity: " << inbox.body;

        auto routed = c.get("/fhir/Task/" + id, as("demo-trust"));
        ASSERT_EQ(routed.status, 200u) << routed.body;
        EXPECT_TRUE(has(routed.body, "\"status\":\"requested\"")) << routed.body;
        EXPECT_TRUE(has(routed.body, "\"code\":\"routed\"")) << routed.body;
        EXPECT_TRUE(has(routed.body, "HealthcareService/befriending")) << routed.body;

        // The charity accepts it; the Task says so.
        ASSERT_EQ(c.post("/referrals/" + id + "/status", "application/json", R"({"status": "accepted"})",
                         as("demo-befriend"))
                      .status,
                  201u);
        EXPECT_TRUE(has(c.get("/fhir/Task/" + id, as("demo-trust")).body, "\"status\":\"accepted\""));

        // Disposed of once only.
        auto twice = c.post("/triage/" + id + "/$return", "application/json", R"({"reason": "late"})",
                            as("demo-admin"));
        EXPECT_EQ(twice.status, 409u) << twice.body;
        auto open_only = c.get("/triage?state=open", as("demo-admin"));
        EXPECT_FALSE(has(open_only.body, id)) << open_only.body;
        EXPECT_TRUE(has(c.get("/metrics").body, "carebridge_referrals_triaged_total 1"))
            << "the resend is not counted twice";
    }

    // Each step is in the log, with the message: arrival, the refused
    // decision, triage, the re-route's decision and disclosure, the re-route.
    std::vector<std::string> steps;
    for (const auto& e : entries_for(temp.path(), id)) {
        const std::string action(gateway::audit::to_string(e.event.action));
        if (action == "status-changed") {
            const auto status = e.event.detail.find("\"status\":\"");
            steps.push_back(action + ":" + e.event.detail.substr(status + 10, e.event.detail.find('"', status + 10) -
                                                                                   status - 10));
        } else if (action != "read") {
            steps.push_back(action);
        }
    }
    EXPECT_EQ(steps, (std::vector<std::string>{"received", "translated", "policy-decision", "status-changed:triage", "policy-decision",
                                               "disclosed", "status-changed:rerouted", "status-changed:accepted"}));
}

TEST(TriageApi, AClosedServiceIsHeldAndReturnedToItsSenderWithAReason) {
    TempDir temp;
    std::string id;
    {
        DemoGateway gw(temp.path());
        ASSERT_TRUE(gw.ok());
        auto c = gw.client();
        auto r = c.post("/referrals", "application/json", closed_service(), as("demo-trust"));
        ASSERT_EQ(r.status, 202u) << r.body;
        EXPECT_TRUE(has(r.body, "closed")) << r.body;
        EXPECT_TRUE(has(r.body, "Befriending")) << "the open alternative is still named: " << r.body;
        id = id_from(r);

        EXPECT_EQ(c.post("/triage/" + id + "/$return", "application/json", R"({"reason": ""})", as("demo-admin"))
                      .status,
                  422u)
            << "a return says why";
        auto returned = c.post("/triage/" + id + "/$return", "application/json",
                               R"({"reason": "The crisis cafe has closed; please refer to the Trust's crisis line"})",
                               as("demo-admin"));
        ASSERT_EQ(returned.status, 200u) << returned.body;
        auto task = c.get("/fhir/Task/" + id, as("demo-trust"));
        ASSERT_EQ(task.status, 200u) << task.body;
        EXPECT_TRUE(has(task.body, "\"status\":\"rejected\"")) << task.body;
        EXPECT_TRUE(has(task.body, "\"statusReason\":{\"text\":\"The crisis cafe has closed")) << task.body;
        auto history = c.get("/referrals/" + id + "/history", as("demo-trust"));
        EXPECT_TRUE(has(history.body, "\"status\":\"returned\"")) << history.body;
        EXPECT_EQ(c.post("/triage/" + id + "/$reroute", "application/json", R"({"service": "befriending"})",
                         as("demo-admin"))
                      .status,
                  409u);
    }
    bool audited = false;
    for (const auto& e : entries_for(temp.path(), id))
        if (e.event.action == gateway::audit::AuditAction::status_changed && has(e.event.detail, "\"returned\"")) {
            audited = true;
            EXPECT_EQ(e.event.actor_role, "admin");
            EXPECT_EQ(e.event.recipient, "RZZ") << "the sender was told";
            EXPECT_TRUE(has(e.event.detail, "crisis line")) << e.event.detail;
        }
    EXPECT_TRUE(audited);
}

TEST(TriageApi, NoRouteIsHeldForTriage) {
    TempDir temp;
    DemoGateway gw(temp.path(), [](gateway::config::Config& config) { config.routing_rules.clear(); });
    ASSERT_TRUE(gw.ok());
    auto c = gw.client();
    auto r = c.post("/referrals", "application/json", referral_to(""), as("demo-trust"));
    ASSERT_EQ(r.status, 202u) << r.body;
    auto queue = c.get("/triage", as("demo-admin"));
    EXPECT_TRUE(has(queue.body, "\"kind\":\"no-route\"")) << queue.body;
}

TEST(TriageApi, ASubmitterConfiguredToRejectGets422AndNothingIsHeld) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    auto c = gw.client();
    auto r = c.post("/referrals", "application/json", closed_service(), as("demo-gp"));
    EXPECT_EQ(r.status, 422u) << r.body;
    EXPECT_TRUE(has(r.body, "closed")) << r.body;
    EXPECT_TRUE(has(c.get("/triage", as("demo-admin")).body, "\"items\":[]"));
}

TEST(TriageApi, AReferralEveryRecipientIsDeniedStays422) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    std::string referral = golden_referral();
    const std::string given = R"("status": "given")";
    const auto at = referral.find(given);
    ASSERT_NE(at, std::string::npos);
    referral.replace(at, given.size(), R"("status": "refused")");
    auto c = gw.client();
    auto r = c.post("/referrals", "application/json", referral, as("demo-trust"));
    EXPECT_EQ(r.status, 422u) << "refused consent is not the queue's to mend: " << r.body;
    EXPECT_TRUE(has(c.get("/triage", as("demo-admin")).body, "\"items\":[]"));
}

TEST(TriageApi, OnlyAdminsWorkTheQueue) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    auto c = gw.client();
    auto r = c.post("/referrals", "application/json", unknown_organisation(), as("demo-trust"));
    ASSERT_EQ(r.status, 202u) << r.body;
    const std::string id = id_from(r);
    for (const char* token : {"demo-trust", "demo-befriend", "demo-auditor", "demo-council"}) {
        EXPECT_EQ(c.get("/triage", as(token)).status, 403u) << token;
        EXPECT_EQ(c.post("/triage/" + id + "/$reroute", "application/json", R"({"service": "befriending"})", as(token))
                      .status,
                  403u)
            << token;
        EXPECT_EQ(c.post("/triage/" + id + "/$return", "application/json", R"({"reason": "no"})", as(token)).status,
                  403u)
            << token;
    }
    EXPECT_EQ(c.get("/fhir/Task/" + id, as("demo-befriend")).status, 403u) << "partners poll no submitter's Task";
    EXPECT_EQ(c.get("/fhir/Task/" + id, as("demo-admin")).status, 200u);
    EXPECT_TRUE(has(c.get("/triage", as("demo-admin")).body, "\"state\":\"open\""));
}

TEST(TriageApi, AReRouteTheChecksRefuseLeavesTheItemOpen) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    auto c = gw.client();
    auto r = c.post("/referrals", "application/json", unknown_organisation(), as("demo-trust"));
    ASSERT_EQ(r.status, 202u) << r.body;
    const std::string id = id_from(r);
    EXPECT_EQ(c.post("/triage/" + id + "/$reroute", "application/json", R"({"service": "crisis-cafe"})",
                     as("demo-admin"))
                  .status,
              422u)
        << "a closed service stays closed for an admin";
    EXPECT_EQ(c.post("/triage/" + id + "/$reroute", "application/json", R"({"service": "no-such-service"})",
                     as("demo-admin"))
                  .status,
              422u);
    EXPECT_EQ(c.post("/triage/" + id + "/$reroute", "application/json", "not json", as("demo-admin")).status, 400u);
    EXPECT_EQ(c.post("/triage/00000000-0000-4000-8000-000000000000/$return", "application/json",
                     R"({"reason": "x"})", as("demo-admin"))
                  .status,
              404u);
    EXPECT_TRUE(has(c.get("/triage?state=open", as("demo-admin")).body, id));
    EXPECT_EQ(c.get("/triage?limit=0", as("demo-admin")).status, 400u);
    EXPECT_EQ(c.get("/triage?state=lost", as("demo-admin")).status, 400u);
}

TEST(TriageApi, TheQueuePagesWithAfterAndLimit) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    auto c = gw.client();
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        Headers trust = as("demo-trust");
        trust.emplace_back("Idempotency-Key", "page-" + std::to_string(i));
        auto r = c.post("/referrals", "application/json", unknown_organisation(), trust);
        ASSERT_EQ(r.status, 202u) << r.body;
        ids.push_back(id_from(r));
    }
    auto first = c.get("/triage?limit=2", as("demo-admin"));
    ASSERT_EQ(first.status, 200u) << first.body;
    EXPECT_TRUE(has(first.body, ids[0]) && has(first.body, ids[1]) && !has(first.body, ids[2])) << first.body;
    const auto next = first.body.find("\"next\":\"");
    ASSERT_NE(next, std::string::npos) << first.body;
    const std::string cursor = first.body.substr(next + 8, first.body.find('"', next + 8) - next - 8);
    auto second = c.get("/triage?limit=2&after=" + cursor, as("demo-admin"));
    EXPECT_TRUE(has(second.body, ids[2]) && !has(second.body, ids[0])) << second.body;
    EXPECT_TRUE(has(second.body, "\"next\":null")) << second.body;
}

}  // namespace
}  // namespace carebridge::testing
