// The escalation round driven directly against a real SQLite store, no timer
// and no HTTP in between: the demo partnership's referrals are taken in by
// the running gateway (so each red one gets its timer as intake sets it),
// the gateway stops, and the test runs rounds at chosen instants.
#include <gtest/gtest.h>

#include <future>

#include "audit/audit_query.hpp"
#include "config/config.hpp"
#include "status/status_notice.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "support/demo_gateway.hpp"
#include "support/gateway_fixture.hpp"
#include "timers/escalation.hpp"

namespace carebridge::testing {
namespace {

namespace store = gateway::store;
namespace timers = gateway::timers;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::chrono::hours wait_for_acceptance{4};

std::shared_ptr<const gateway::config::Config> demo_config() {
    std::string error;
    auto config = gateway::config::load_config(std::string(CAREBRIDGE_SOURCE_DIR) + "/config/demo.json", error);
    EXPECT_TRUE(config) << error;
    config->red_escalation_after = wait_for_acceptance;
    return std::make_shared<const gateway::config::Config>(std::move(*config));
}

// The demo referral, red (FHIR asap) or as it is (urgent: amber).
std::string demo_referral(bool red) {
    std::string body = read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "config/demo-referral.json");
    if (red) {
        const std::string urgent = R"("priority": "urgent")";
        body.replace(body.find(urgent), urgent.size(), R"("priority": "asap")");
    }
    return body;
}

struct Referrals {
    std::string overdue, accepted, amber;
};

// Takes in a red referral nobody answers, a red one the charity accepts and
// an amber one, as the Trust would send them; the gateway's own timer never
// fires meanwhile (4 hours).
Referrals refer_through_the_gateway(const std::filesystem::path& store_dir) {
    Referrals made;
    DemoGateway gw(store_dir, [](gateway::config::Config& config) { config.red_escalation_after = wait_for_acceptance; });
    EXPECT_TRUE(gw.ok());
    if (!gw.ok()) return made;
    auto c = gw.client();
    const auto refer = [&](bool red, const std::string& key) {
        const Headers headers{{"Authorization", bearer("demo-trust")}, {"Idempotency-Key", key}};
        auto r = c.post("/fhir", "application/fhir+json", demo_referral(red), headers);
        EXPECT_EQ(r.status, 201u) << r.body;
        return r.header("Location").substr(std::string("/referrals/").size());
    };
    made.overdue = refer(true, "red-overdue");
    made.accepted = refer(true, "red-accepted");
    made.amber = refer(false, "amber");
    EXPECT_EQ(c.post("/referrals/" + made.accepted + "/status", "application/json", R"({"status": "accepted"})",
                     {{"Authorization", bearer("demo-befriend")}})
                  .status,
              201u);
    return made;
}

std::unique_ptr<store::Store> open_store(const std::filesystem::path& directory) {
    store::SqliteOptions options;
    options.directory = directory.string();
    std::error_code ec;
    std::string message;
    auto opened = store::open_sqlite_store(options, ec, message);
    EXPECT_TRUE(opened) << message;
    return opened;
}

struct RoundResult {
    std::size_t escalated = 0;
    bool failed = false;
    bool woke_delivery = false;
};

// One round at `now`, waited for (its commits report on the store's writer thread).
RoundResult run_round(store::Store& s, const gateway::config::Config& config, std::chrono::system_clock::time_point now) {
    auto woke = std::make_shared<std::atomic<bool>>(false);
    const timers::Escalations escalations{s, config, [woke] { woke->store(true); }};
    std::promise<RoundResult> finished;
    timers::escalate_overdue(escalations, now, [&finished, woke](std::size_t escalated, bool failed) {
        finished.set_value(RoundResult{escalated, failed, woke->load()});
    });
    return finished.get_future().get();
}

std::vector<gateway::audit::AuditEntry> status_changes(store::Store& s, const std::string& message_id) {
    gateway::audit::AuditQuery query;
    query.actions = {gateway::audit::AuditAction::status_changed};
    std::error_code ec;
    std::vector<gateway::audit::AuditEntry> found;
    for (auto& e : s.find_audit_entries(query, ec))
        if (e.event.message_id == message_id) found.push_back(std::move(e));
    EXPECT_FALSE(ec);
    return found;
}

std::vector<store::OutboxItem> notices_to_the_trust(store::Store& s, const std::string& message_id) {
    store::OutboxQuery query;
    query.recipient = "trust";
    std::error_code ec;
    std::vector<store::OutboxItem> found;
    for (auto& item : s.find_outbox_items(query, ec))
        if (item.message_id == message_id && item.content_type == gateway::status::status_content_type)
            found.push_back(std::move(item));
    EXPECT_FALSE(ec);
    return found;
}

class EscalationRound : public ::testing::Test {
protected:
    void SetUp() override {
        referrals = refer_through_the_gateway(temp.path());
        ASSERT_FALSE(referrals.overdue.empty());
        config = demo_config();
        store_ = open_store(temp.path());
        ASSERT_TRUE(store_);
        sent_at = std::chrono::system_clock::now();
    }
    void TearDown() override {
        if (store_) store_->close();
    }

    TempDir temp;
    Referrals referrals;
    std::shared_ptr<const gateway::config::Config> config;
    std::unique_ptr<store::Store> store_;
    std::chrono::system_clock::time_point sent_at;
};

TEST_F(EscalationRound, NothingIsDueBeforeTheWaitIsOver) {
    const auto round = run_round(*store_, *config, sent_at + wait_for_acceptance - std::chrono::minutes(5));
    EXPECT_EQ(round.escalated, 0u);
    EXPECT_FALSE(round.failed);
    std::error_code ec;
    EXPECT_TRUE(store_->referral_history(referrals.overdue, ec).empty());
    EXPECT_TRUE(notices_to_the_trust(*store_, referrals.overdue).empty());
}

TEST_F(EscalationRound, AnOverdueRedReferralIsEscalatedToItsOriginatorOnce) {
    const auto after = sent_at + wait_for_acceptance + std::chrono::minutes(1);
    const auto first = run_round(*store_, *config, after);
    EXPECT_EQ(first.escalated, 1u);
    EXPECT_FALSE(first.failed);
    EXPECT_TRUE(first.woke_delivery) << "the notice is queued for delivery";

    std::error_code ec;
    const auto steps = store_->referral_history(referrals.overdue, ec);
    ASSERT_FALSE(ec);
    ASSERT_EQ(steps.size(), 1u);
    EXPECT_EQ(steps[0].organisation, "gateway");
    EXPECT_EQ(steps[0].status, "escalated");
    EXPECT_EQ(steps[0].reason, "red referral not accepted within 4 hours of being sent");

    const auto notices = notices_to_the_trust(*store_, referrals.overdue);
    ASSERT_EQ(notices.size(), 1u);
    EXPECT_NE(notices[0].payload.find(R"("schema":"partnership-status/1")"), std::string::npos) << notices[0].payload;
    EXPECT_NE(notices[0].payload.find(R"("status":"escalated")"), std::string::npos) << notices[0].payload;
    EXPECT_NE(notices[0].payload.find(R"("bouncing":false)"), std::string::npos) << notices[0].payload;
    EXPECT_EQ(notices[0].recipient_ods, "RZZ");

    const auto changed = status_changes(*store_, referrals.overdue);
    ASSERT_EQ(changed.size(), 1u);
    EXPECT_EQ(changed[0].event.actor_role, "gateway");
    EXPECT_EQ(changed[0].event.recipient, "RZZ");
    EXPECT_EQ(changed[0].event.patient.size(), 10u) << "the person's NHS number, for the auditor";
    EXPECT_NE(changed[0].event.detail.find(R"("status":"escalated")"), std::string::npos) << changed[0].event.detail;
    EXPECT_NE(changed[0].event.detail.find(R"("notified":["RZZ"])"), std::string::npos) << changed[0].event.detail;
    EXPECT_NE(changed[0].event.detail.find(R"("due_at":")"), std::string::npos) << changed[0].event.detail;

    // Later rounds find the timer fired: nothing is recorded or sent twice.
    const auto second = run_round(*store_, *config, after + std::chrono::hours(1));
    EXPECT_EQ(second.escalated, 0u);
    EXPECT_FALSE(second.failed);
    EXPECT_EQ(store_->referral_history(referrals.overdue, ec).size(), 1u);
    EXPECT_EQ(notices_to_the_trust(*store_, referrals.overdue).size(), 1u);
    EXPECT_EQ(status_changes(*store_, referrals.overdue).size(), 1u);
}

TEST_F(EscalationRound, AnAcceptedRedReferralAndAnAmberOneAreNotEscalated) {
    const auto round = run_round(*store_, *config, sent_at + wait_for_acceptance + std::chrono::minutes(1));
    EXPECT_EQ(round.escalated, 1u) << "only the red one nobody accepted";
    std::error_code ec;
    const auto accepted = store_->referral_history(referrals.accepted, ec);
    ASSERT_EQ(accepted.size(), 1u);
    EXPECT_EQ(accepted[0].status, "accepted");
    EXPECT_TRUE(store_->referral_history(referrals.amber, ec).empty());
    for (const std::string& id : {referrals.accepted, referrals.amber}) {
        for (const auto& notice : notices_to_the_trust(*store_, id))
            EXPECT_EQ(notice.payload.find("escalated"), std::string::npos) << notice.payload;
        for (const auto& e : status_changes(*store_, id))
            EXPECT_EQ(e.event.detail.find("escalated"), std::string::npos) << e.event.detail;
    }
    EXPECT_TRUE(store_->due_escalation_timers("9999-12-31T00:00:00.000Z", 100, ec).empty())
        << "the accepted referral's timer ended when it was accepted; the overdue one fired";
}

TEST_F(EscalationRound, NoWaitConfiguredMeansNoEscalation) {
    auto untimed = std::make_shared<gateway::config::Config>(*config);
    untimed->red_escalation_after = std::chrono::seconds(0);
    untimed->triage_escalate_after = std::chrono::seconds(0);
    const auto round = run_round(*store_, *untimed, sent_at + std::chrono::hours(24));
    EXPECT_EQ(round.escalated, 0u);
    std::error_code ec;
    EXPECT_TRUE(store_->referral_history(referrals.overdue, ec).empty());
}

// A referral left in the triage queue past triage.escalate_after_seconds goes
// down the red referrals' path: an "escalated" step, a notice to the Trust and
// an audit entry, once; one an admin returned in time is not escalated.
TEST(TriageEscalation, AReferralLeftInTriageIsEscalatedOnceAndAReturnedOneIsNot) {
    TempDir temp;
    constexpr std::chrono::hours triage_wait{2};
    std::string left, returned;
    const auto sent_at = std::chrono::system_clock::now();
    {
        DemoGateway gw(temp.path(), [&](gateway::config::Config& config) { config.triage_escalate_after = triage_wait; });
        ASSERT_TRUE(gw.ok());
        auto c = gw.client();
        std::string referral = read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "tests/golden/referral.json");
        const std::string target = R"({ "organisation": "DBF01", "service": "befriending" })";
        referral.replace(referral.find(target), target.size(), R"({ "organisation": "RXX99", "service": "x" })");
        const auto refer = [&](const std::string& key) {
            auto r = c.post("/referrals", "application/json", referral,
                            {{"Authorization", bearer("demo-trust")}, {"Idempotency-Key", key}});
            EXPECT_EQ(r.status, 202u) << r.body;
            return r.header("Location").substr(std::string("/fhir/Task/").size());
        };
        left = refer("left-in-triage");
        returned = refer("returned-in-time");
        EXPECT_EQ(c.post("/triage/" + returned + "/$return", "application/json", R"({"reason": "wrong code"})",
                         {{"Authorization", bearer("demo-admin")}})
                      .status,
                  200u);
    }
    auto s = open_store(temp.path());
    ASSERT_TRUE(s);
    auto config = std::make_shared<gateway::config::Config>(*demo_config());
    config->triage_escalate_after = triage_wait;
    EXPECT_EQ(run_round(*s, *config, sent_at + triage_wait - std::chrono::minutes(5)).escalated, 0u) << "not yet";
    const auto round = run_round(*s, *config, sent_at + triage_wait + std::chrono::minutes(1));
    EXPECT_EQ(round.escalated, 1u);
    EXPECT_TRUE(round.woke_delivery);
    std::error_code ec;
    const auto history = s->referral_history(left, ec);
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(history[0].status, "triage");
    EXPECT_EQ(history[1].status, "escalated");
    EXPECT_NE(history[1].reason.find("held in triage for 2 hours"), std::string::npos) << history[1].reason;
    bool notified = false;
    for (const auto& notice : notices_to_the_trust(*s, left)) notified |= notice.payload.find("escalated") != std::string::npos;
    EXPECT_TRUE(notified);
    bool audited = false;
    for (const auto& e : status_changes(*s, left))
        audited |= e.event.detail.find("\"why\":\"triage\"") != std::string::npos;
    EXPECT_TRUE(audited);
    for (const auto& h : s->referral_history(returned, ec)) EXPECT_NE(h.status, "escalated");
    EXPECT_EQ(run_round(*s, *config, sent_at + triage_wait * 3).escalated, 0u) << "once only";
    s->close();
}

TEST(EscalationCheckInterval, AFewTimesWithinTheWaitBetweenASecondAndAMinute) {
    EXPECT_EQ(timers::escalation_check_interval(std::chrono::seconds(2)), std::chrono::seconds(1));
    EXPECT_EQ(timers::escalation_check_interval(std::chrono::seconds(120)), std::chrono::seconds(30));
    EXPECT_EQ(timers::escalation_check_interval(std::chrono::hours(4)), std::chrono::seconds(60));
}

}  // namespace
}  // namespace carebridge::testing
