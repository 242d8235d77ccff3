// Commit, driven directly on a real SQLite file: stored, a repeat, and a store
// that fails.
#include <gtest/gtest.h>

#include "intake/commit.hpp"
#include "intake/plan.hpp"
#include "intake_fixture.hpp"

namespace carebridge::gateway::intake {
namespace {

using namespace fixture;

store::WriteSet planned(const std::string& key) {
    const Arrival arrival{trust_epr(), translation::Format::carenotes, "application/xml", key};
    IntakePlan plan = plan_intake(synthetic_person(1), "<original/>", issues::IssueSink{}, arrival, demo_partnership(),
                                  std::chrono::system_clock::now());
    EXPECT_EQ(plan.status, PlanStatus::accepted);
    return std::move(plan.writes);
}

TEST(Commit, StoredThenARepeatAnswersTheOriginal) {
    testing::TempDir temp;
    auto s = open_store(temp.path());
    ASSERT_TRUE(s);
    store::WriteSet first = planned("same-key");
    const std::string first_outcome = first.messages.front().outcome;
    const CommitOutcome stored = commit_intake_and_wait(*s, std::move(first));
    ASSERT_EQ(stored.status, CommitStatus::committed);
    ASSERT_EQ(stored.messages.size(), 1u);
    EXPECT_FALSE(stored.messages[0].duplicate);
    EXPECT_EQ(stored.messages[0].outcome, first_outcome);
    EXPECT_EQ(stored.queued, 2u) << "befriending and Westshire Mind's peer support";

    const CommitOutcome repeat = commit_intake_and_wait(*s, planned("same-key"));
    ASSERT_EQ(repeat.status, CommitStatus::committed);
    EXPECT_TRUE(repeat.messages[0].duplicate);
    EXPECT_EQ(repeat.messages[0].id, stored.messages[0].id);
    EXPECT_EQ(repeat.messages[0].outcome, first_outcome) << "the original's answer, naming the original's id";
    EXPECT_EQ(repeat.queued, 0u) << "the original's rows stand";
    EXPECT_EQ(all_outbox_items(*s).size(), 2u);
    s->close();
}

TEST(Commit, AStoreFailureKeepsNothing) {
    testing::TempDir temp;
    auto s = open_store(temp.path());
    ASSERT_TRUE(s);
    FailingStore failing(*s, 1);
    const CommitOutcome failed = commit_intake_and_wait(failing, planned("k"));
    EXPECT_EQ(failed.status, CommitStatus::store_failed);
    EXPECT_TRUE(failed.messages.empty());
    EXPECT_TRUE(all_outbox_items(*s).empty());
    EXPECT_TRUE(all_audit_entries(*s).empty());
    s->close();
}

}  // namespace
}  // namespace carebridge::gateway::intake
