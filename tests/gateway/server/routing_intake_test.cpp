// The demo partnership's routing at the door: the sample referral is taken in
// for Northfield Befriending under its agreement, and a referral aimed at a
// closed service is held for triage (the Trust's EPR triages) or, from a
// submitter configured to reject, refused before anything is stored; either
// answer names the service's status and the open alternatives.
#include <gtest/gtest.h>

#include <cstdlib>
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


std::string golden(const std::string& name) {
    return read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "tests/golden" / name);
}

TEST(RoutingIntake, SampleReferralIsTakenInForTheBefriendingCharity) {
    TempDir temp;
    std::string location;
    {
        DemoGateway gw(temp.path());
        ASSERT_TRUE(gw.ok());
        auto c = gw.client();
        auto r = c.post("/fhir", "application/fhir+json",
                        read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "config/demo-referral.json"),
                        {{"Authorization", bearer("demo-trust")}});
        ASSERT_EQ(r.status, 201u) << r.body;
        EXPECT_NE(r.body.find("for Northfield Befriending (Befriending"), std::string::npos) << r.body;
        EXPECT_NE(r.body.find("trust-befriend-direct-care"), std::string::npos) << r.body;
        location = r.header("Location");
        EXPECT_EQ(c.get(location, {{"Authorization", bearer("demo-trust")}}).status, 200u);

        // The charity collects it from its pull inbox; no other partner can.
        auto inbox = c.get("/partners/befriend/inbox", {{"Authorization", bearer("demo-befriend")}});
        ASSERT_EQ(inbox.status, 200u) << inbox.body;
        EXPECT_NE(inbox.body.find("Whitfield"), std::string::npos) << inbox.body;
        EXPECT_EQ(inbox.body.find("F20.0"), std::string::npos) << inbox.body;
        EXPECT_EQ(c.get("/partners/befriend/inbox", {{"Authorization", bearer("demo-mind")}}).status, 404u);
        EXPECT_EQ(c.get("/partners/befriend/inbox", {{"Authorization", bearer("demo-trust")}}).status, 403u);
    }

    // The store after the fact: the journey is in the log, in order, and the
    // befriending charity's copy holds only what its agreement allows.
    gateway::store::SqliteOptions options;
    options.directory = temp.path().string();
    std::error_code ec;
    std::string message;
    auto store = gateway::store::open_sqlite_store(options, ec, message);
    ASSERT_TRUE(store) << message;
    gateway::audit::AuditQuery query;
    query.patient = "9990000085";
    auto entries = store->find_audit_entries(query, ec);
    ASSERT_FALSE(ec);
    std::vector<std::string> actions;
    for (const auto& e : entries) actions.emplace_back(gateway::audit::to_string(e.event.action));
    EXPECT_EQ(actions, (std::vector<std::string>{"received", "translated", "policy-decision", "disclosed", "read",
                                                 "read"}))
        << "the Trust's read and the charity's inbox read";
    ASSERT_EQ(entries.size(), 6u);
    EXPECT_EQ(entries[0].event.actor_organisation, "RZZ");
    EXPECT_EQ(entries[2].event.outcome, "allow");
    EXPECT_EQ(entries[3].event.recipient, "DBF01");
    EXPECT_EQ(entries[3].event.purpose, "direct-care");
    EXPECT_EQ(entries[3].event.consent_reference, "CONS-2026-0932");
    EXPECT_NE(entries[3].event.detail.find("diagnoses"), std::string::npos) << entries[3].event.detail;
    EXPECT_EQ(entries[3].event.message_id, location.substr(std::string("/referrals/").size()));

    // The gateway signed the log as it stopped.
    auto checkpoint = store->latest_audit_checkpoint(ec);
    ASSERT_TRUE(checkpoint);
    EXPECT_EQ(checkpoint->tree_size, entries.size() + 1) << "this person's entries and the config being loaded";

    gateway::store::OutboxQuery outbox;
    outbox.recipient = "befriend";
    auto items = store->find_outbox_items(outbox, ec);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].service, "befriending");
    EXPECT_EQ(items[0].payload.find("F20"), std::string::npos) << "no diagnosis code reaches the charity";
    EXPECT_EQ(items[0].payload.find("diagnoses"), std::string::npos);
    EXPECT_NE(items[0].payload.find("Whitfield"), std::string::npos) << "the name is allowed";
    EXPECT_EQ(items[0].payload.find("9990000085"), std::string::npos) << "the NHS number is not in the profile";
    store->close();

    // And the log verifies through the command auditors run.
    const std::string command = std::string(CAREBRIDGE_BINARY) + " audit verify --config " + CAREBRIDGE_SOURCE_DIR +
                                "/config/demo.json --data " + temp.path().string() + " > /dev/null 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0);
}

TEST(RoutingIntake, ReferralToAClosedServiceIsTriagedOrRefusedWithTheAlternatives) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    std::string referral = golden("referral.json");
    const std::string target = R"({ "organisation": "DBF01", "service": "befriending" })";
    const auto at = referral.find(target);
    ASSERT_NE(at, std::string::npos);
    referral.replace(at, target.size(), R"({ "organisation": "DMN01", "service": "crisis-cafe" })");
    auto c = gw.client();
    auto held = c.post("/referrals", "application/json", referral, {{"Authorization", bearer("demo-trust")}});
    EXPECT_EQ(held.status, 202u) << held.body;
    EXPECT_NE(held.body.find("held for triage"), std::string::npos) << held.body;
    auto r = c.post("/referrals", "application/json", referral, {{"Authorization", bearer("demo-gp")}});
    EXPECT_EQ(r.status, 422u) << r.body;
    for (const std::string& body : {held.body, r.body}) {
        EXPECT_NE(body.find("closed"), std::string::npos) << body;
        EXPECT_NE(body.find("Befriending"), std::string::npos) << "the open alternative is named: " << body;
    }
    auto metrics = c.get("/metrics").body;
    EXPECT_NE(metrics.find("reason=\"not_routable\"} 1"), std::string::npos);
    EXPECT_NE(metrics.find("carebridge_referrals_triaged_total 1"), std::string::npos);
}

TEST(RoutingIntake, ReferralWithoutConsentForVcsePartnersIsRefused) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    std::string referral = golden("referral.json");
    const std::string scope = R"("organisationTypes": ["vcse"])";
    const auto at = referral.find(scope);
    ASSERT_NE(at, std::string::npos);
    referral.replace(at, scope.size(), R"("organisationTypes": ["council"])");
    const std::string orgs = R"("organisations": ["DBF01"])";
    const auto o = referral.find(orgs);
    ASSERT_NE(o, std::string::npos);
    referral.replace(o, orgs.size(), R"("organisations": ["DCN01"])");
    auto c = gw.client();
    auto r = c.post("/referrals", "application/json", referral, {{"Authorization", bearer("demo-trust")}});
    EXPECT_EQ(r.status, 422u) << r.body;
    EXPECT_NE(r.body.find("consent"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace carebridge::testing
