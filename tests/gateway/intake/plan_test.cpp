// Plan, driven directly against the demo partnership: what an accepted, a
// refused and an intake-only referral commit.
#include <gtest/gtest.h>

#include "intake/plan.hpp"
#include "intake_fixture.hpp"

namespace carebridge::gateway::intake {
namespace {

using namespace fixture;

Arrival from_the_trust() { return Arrival{trust_epr(), translation::Format::carenotes, "application/xml", "key-1"}; }

std::vector<std::string> actions_of(const store::WriteSet& writes) {
    std::vector<std::string> actions;
    for (const auto& e : writes.audit) actions.emplace_back(audit::to_string(e.action));
    return actions;
}

TEST(Plan, AnAcceptedReferralCarriesItsMessageAuditOutboxAndTimer) {
    const Partnership partnership = demo_partnership();
    const model::PersonRecord person = synthetic_person(2);  // red, befriending
    const IntakePlan plan = plan_intake(person, "<original/>", issues::IssueSink{}, from_the_trust(), partnership,
                                        std::chrono::system_clock::now());
    ASSERT_EQ(plan.status, PlanStatus::accepted);
    ASSERT_EQ(plan.writes.messages.size(), 1u);
    const store::StoredMessage& m = plan.writes.messages.front();
    EXPECT_EQ(m.id, plan.message_id);
    EXPECT_EQ(m.payload, "<original/>");
    EXPECT_EQ(m.idempotency_key, "key-1");
    EXPECT_EQ(m.nhs_number, person.person.nhs_number);
    EXPECT_NE(m.outcome.find("for Northfield Befriending"), std::string::npos) << m.outcome;
    EXPECT_NE(m.outcome.find("accepted as /referrals/" + m.id), std::string::npos);
    EXPECT_EQ(actions_of(plan.writes),
              (std::vector<std::string>{"received", "translated", "policy-decision", "disclosed"}));
    ASSERT_EQ(plan.writes.outbox.size(), 1u);
    EXPECT_EQ(plan.writes.outbox.front().recipient, "befriend");
    EXPECT_EQ(plan.writes.outbox.front().payload.find(person.person.nhs_number), std::string::npos)
        << "the befriending profile holds no NHS number";
    ASSERT_EQ(plan.writes.escalation_timers.size(), 1u) << "a red referral that went somewhere is timed";
    EXPECT_EQ(plan.writes.escalation_timers.front().message_id, m.id);
}

// A submitter configured "on_unroutable": "reject".
Arrival from_a_rejecting_trust() {
    Arrival a = from_the_trust();
    a.principal.on_unroutable = config::OnUnroutable::reject;
    return a;
}

TEST(Plan, AReferralToAClosedServiceIsRefusedAndOnlyTheRefusalIsDrafted) {
    const IntakePlan plan = plan_intake(synthetic_person(3), "<original/>", issues::IssueSink{}, from_a_rejecting_trust(),
                                        demo_partnership(), std::chrono::system_clock::now());
    ASSERT_EQ(plan.status, PlanStatus::refused);
    ASSERT_TRUE(plan.refusal);
    EXPECT_EQ(plan.refusal->status, 422u);
    EXPECT_NE(plan.refusal->message.find("closed"), std::string::npos) << plan.refusal->message;
    EXPECT_TRUE(plan.writes.messages.empty());
    EXPECT_TRUE(plan.writes.outbox.empty());
    EXPECT_TRUE(plan.writes.escalation_timers.empty());
    EXPECT_EQ(actions_of(plan.writes).back(), "rejected");
    for (const auto& e : plan.writes.audit) EXPECT_TRUE(e.message_id.empty());
}

TEST(Plan, AReferralToAClosedServiceFromATriagingSubmitterIsHeldForTriage) {
    const auto now = std::chrono::system_clock::now();
    const Partnership partnership = demo_partnership();
    const IntakePlan plan =
        plan_intake(synthetic_person(3), "<original/>", issues::IssueSink{}, from_the_trust(), partnership, now);
    ASSERT_EQ(plan.status, PlanStatus::triaged);
    ASSERT_TRUE(plan.refusal);
    EXPECT_EQ(plan.refusal->kind, "service-not-open");
    ASSERT_EQ(plan.writes.messages.size(), 1u);
    const store::StoredMessage& m = plan.writes.messages.front();
    EXPECT_EQ(m.id, plan.message_id);
    EXPECT_EQ(m.payload, "<original/>");
    EXPECT_NE(m.outcome.find("held for triage"), std::string::npos) << m.outcome;
    EXPECT_NE(m.outcome.find("closed"), std::string::npos) << m.outcome;
    EXPECT_NE(m.outcome.find("/fhir/Task/" + m.id), std::string::npos) << m.outcome;
    EXPECT_NE(m.outcome.find("\"severity\":\"warning\""), std::string::npos) << m.outcome;
    EXPECT_TRUE(plan.writes.outbox.empty()) << "nothing goes anywhere until an admin routes it";
    ASSERT_EQ(plan.writes.triage.size(), 1u);
    EXPECT_EQ(plan.writes.triage.front().message_id, m.id);
    EXPECT_EQ(plan.writes.triage.front().kind, "service-not-open");
    ASSERT_EQ(plan.writes.history.size(), 1u);
    EXPECT_EQ(plan.writes.history.front().status, "triage");
    const auto actions = actions_of(plan.writes);
    EXPECT_EQ(actions.front(), "received");
    EXPECT_EQ(actions.back(), "status-changed");
    for (const auto& e : plan.writes.audit) EXPECT_EQ(e.message_id, m.id) << "every entry names the stored message";
    ASSERT_EQ(plan.writes.escalation_timers.size(), 1u) << "triage.escalate_after_seconds defaults to four hours";
    EXPECT_EQ(plan.writes.escalation_timers.front().due_at,
              audit::format_instant(now + partnership.config->triage_escalate_after));
}

TEST(Plan, AReferralToAnUnknownOrganisationIsHeldForTriage) {
    model::PersonRecord person = synthetic_person(0);
    person.referrals.front().targets = {model::Target{"RXX99", "befriending"}};
    const IntakePlan plan = plan_intake(person, "<original/>", issues::IssueSink{}, from_the_trust(),
                                        demo_partnership(), std::chrono::system_clock::now());
    ASSERT_EQ(plan.status, PlanStatus::triaged);
    EXPECT_EQ(plan.refusal->kind, "unknown-organisation");
    EXPECT_EQ(plan.writes.triage.size(), 1u);
}

TEST(Plan, AReferralEveryRecipientIsDeniedStaysRefusedEvenWhenTheSubmitterTriages) {
    model::PersonRecord person = synthetic_person(0);
    ASSERT_TRUE(person.referrals.front().consent);
    person.referrals.front().consent->status = model::ConsentStatus::refused;
    const IntakePlan plan = plan_intake(person, "<original/>", issues::IssueSink{}, from_the_trust(),
                                        demo_partnership(), std::chrono::system_clock::now());
    ASSERT_EQ(plan.status, PlanStatus::refused) << "re-routing cannot mend refused consent";
    EXPECT_EQ(plan.refusal->status, 422u);
    EXPECT_TRUE(plan.writes.messages.empty());
    EXPECT_TRUE(plan.writes.triage.empty());
}

TEST(Plan, AnIntakeOnlyGatewayStoresAndAuditsButDisclosesNothing) {
    Partnership intake_only = demo_partnership();
    intake_only.directory = nullptr;
    const IntakePlan plan = plan_intake(synthetic_person(2), "<original/>", issues::IssueSink{}, from_the_trust(),
                                        intake_only, std::chrono::system_clock::now());
    ASSERT_EQ(plan.status, PlanStatus::accepted);
    EXPECT_EQ(actions_of(plan.writes), (std::vector<std::string>{"received", "translated"}));
    EXPECT_TRUE(plan.writes.outbox.empty());
    EXPECT_TRUE(plan.writes.escalation_timers.empty());
}

}  // namespace
}  // namespace carebridge::gateway::intake
