// The outbox in the real SQLite store: rows commit with their message or not
// at all, each recipient's head alone is due (order kept, a failing
// recipient holds up only itself), state changes are guarded, attempts are
// counted to a dead letter with every one audited, and everything pending
// is still there after the store is closed and opened again.

#include <gtest/gtest.h>

#include "delivery/retry_policy.hpp"
#include "delivery/outbox_fixture.hpp"

namespace carebridge::testing {
namespace {

using namespace std::chrono_literals;
using gateway::store::OutboxState;
using SystemClock = std::chrono::system_clock;

const SystemClock::time_point now_t = SystemClock::time_point(std::chrono::seconds(1'800'000'000));

store::OutboxUpdate set_state(const std::string& id, OutboxState state,
                              std::optional<SystemClock::time_point> next = std::nullopt) {
    store::OutboxUpdate u;
    u.id = id;
    u.state = state;
    u.next_attempt_at = next;
    return u;
}

store::CommitResult apply(store::Store& s, std::vector<store::OutboxUpdate> updates) {
    store::WriteSet writes;
    writes.outbox_updates = std::move(updates);
    return commit_now(s, std::move(writes));
}

std::vector<std::string> ids_of(const std::vector<store::OutboxItem>& items) {
    std::vector<std::string> ids;
    for (const auto& item : items) ids.push_back(item.id);
    return ids;
}

std::vector<std::string> due_ids(store::Store& s, SystemClock::time_point now, std::size_t limit = 100) {
    std::error_code error;
    auto items = s.due_outbox_items(now, limit, error);
    EXPECT_FALSE(error) << error.message();
    return ids_of(items);
}

TEST(OutboxStore, RowsCommitWithTheirMessageAndReadBackWhole) {
    TempDir dir;
    auto s = open_outbox_store(dir.path());
    const auto message = message_numbered(1);
    const auto ids = queue_message(*s, message,
                                   {item_for(message, "befriend", "https://hooks.befriend.example/in"),
                                    item_for(message, "mind")});
    ASSERT_EQ(ids.size(), 2u);
    ASSERT_FALSE(ids[0].empty());
    ASSERT_NE(ids[0], ids[1]);

    std::error_code error;
    const auto pushed = s->find_outbox_item(ids[0], error);
    ASSERT_TRUE(pushed) << error.message();
    EXPECT_EQ(pushed->message_id, message.id);
    EXPECT_EQ(pushed->recipient, "befriend");
    EXPECT_EQ(pushed->recipient_ods, "DBF01");
    EXPECT_EQ(pushed->service, "befriending");
    EXPECT_EQ(pushed->format, "referral");
    EXPECT_EQ(pushed->payload, item_for(message, "befriend").payload);
    EXPECT_EQ(pushed->content_type, "application/vnd.carebridge.referral+json");
    EXPECT_EQ(pushed->idempotency_key, message.id + ":befriend:befriending");  // stable, made by the store
    EXPECT_EQ(pushed->endpoint_url, "https://hooks.befriend.example/in");
    EXPECT_EQ(pushed->state, OutboxState::pending);
    EXPECT_EQ(pushed->attempts, 0u);
    EXPECT_EQ(pushed->created_at.size(), 24u);  // stamped: 2026-11-23T05:30:00.123Z
    EXPECT_EQ(pushed->patient, message.nhs_number);  // from the message, for the audit log
    EXPECT_EQ(pushed->referral_id, message.referral_id);

    const auto pulled = s->find_outbox_item(ids[1], error);
    ASSERT_TRUE(pulled);
    EXPECT_TRUE(pulled->endpoint_url.empty());
    EXPECT_GT(pulled->seq, pushed->seq);
}

TEST(OutboxStore, ABadRowTakesItsMessageDownWithIt) {
    TempDir dir;
    auto s = open_outbox_store(dir.path());
    const auto message = message_numbered(2);
    auto bad = item_for(message, "befriend");
    bad.format = "pdf";
    store::WriteSet writes;
    writes.messages.push_back(message);
    writes.outbox.push_back(item_for(message, "mind"));
    writes.outbox.push_back(bad);
    const auto result = commit_now(*s, std::move(writes));
    ASSERT_TRUE(result.error);
    EXPECT_NE(result.error_message.find("outbox item 2 of 2"), std::string::npos) << result.error_message;

    std::error_code error;
    EXPECT_FALSE(s->find_message(message.id, error));
    EXPECT_TRUE(items_of(*s, "mind").empty());
    EXPECT_TRUE(items_of(*s, "befriend").empty());
}

TEST(OutboxStore, ARowForAMessageThatIsNotStoredIsRefused) {
    TempDir dir;
    auto s = open_outbox_store(dir.path());
    store::WriteSet writes;
    writes.outbox.push_back(item_for(message_numbered(3), "befriend"));
    const auto result = commit_now(*s, std::move(writes));
    EXPECT_TRUE(result.error);
    EXPECT_TRUE(items_of(*s, "befriend").empty());
}

TEST(OutboxStore, AnIdempotentRepeatQueuesNothingNew) {
    TempDir dir;
    auto s = open_outbox_store(dir.path());
    const auto original = message_numbered(4);
    const auto first = queue_message(*s, original, {item_for(original, "befriend")});
    ASSERT_FALSE(first[0].empty());

    auto resend = message_numbered(4);
    resend.id = "00000000-0000-4000-8000-999999999999";  // a new id, the same sender's key
    store::WriteSet writes;
    writes.messages.push_back(resend);
    writes.outbox.push_back(item_for(resend, "befriend"));
    const auto result = commit_now(*s, std::move(writes));
    ASSERT_FALSE(result.error) << result.error_message;
    EXPECT_TRUE(result.messages[0].duplicate);
    ASSERT_EQ(result.outbox_ids.size(), 1u);
    EXPECT_TRUE(result.outbox_ids[0].empty());
    EXPECT_EQ(ids_of(items_of(*s, "befriend")), first);
}

TEST(OutboxStore, OnlyEachRecipientsHeadIsDueOldestFirst) {
    TempDir dir;
    auto s = open_outbox_store(dir.path());
    std::vector<std::string> befriend, mind, council;
    for (int n = 1; n <= 3; ++n) {
        const auto m = message_numbered(n);
        befriend.push_back(queue_message(*s, m, {item_for(m, "befriend", "https://b.example/in")})[0]);
    }
    const auto m4 = message_numbered(4);
    mind.push_back(queue_message(*s, m4, {item_for(m4, "mind", "https://m.example/in")})[0]);
    const auto m5 = message_numbered(5);
    council.push_back(queue_message(*s, m5, {item_for(m5, "council")})[0]);  // pull inbox only: never pushed

    EXPECT_EQ(due_ids(*s, now_t), (std::vector<std::string>{befriend[0], mind[0]}));
    EXPECT_EQ(due_ids(*s, now_t, 1), (std::vector<std::string>{befriend[0]}));

    // Befriending's head failed and waits a minute: its later items wait behind it; Mind's does not.
    ASSERT_FALSE(apply(*s, {set_state(befriend[0], OutboxState::pending, now_t + 60s)}).error);
    EXPECT_EQ(due_ids(*s, now_t), (std::vector<std::string>{mind[0]}));
    std::error_code error;
    EXPECT_EQ(s->next_outbox_attempt(error), SystemClock::time_point{});  // Mind's head is due already

    ASSERT_FALSE(apply(*s, {set_state(mind[0], OutboxState::delivered)}).error);
    EXPECT_TRUE(due_ids(*s, now_t).empty());
    EXPECT_EQ(s->next_outbox_attempt(error), now_t + 60s);
    EXPECT_EQ(due_ids(*s, now_t + 60s), (std::vector<std::string>{befriend[0]}));

    ASSERT_FALSE(apply(*s, {set_state(befriend[0], OutboxState::delivered)}).error);
    EXPECT_EQ(due_ids(*s, now_t), (std::vector<std::string>{befriend[1]}));
    // A dead letter steps aside: the next item becomes the head.
    ASSERT_FALSE(apply(*s, {set_state(befriend[1], OutboxState::dead)}).error);
    EXPECT_EQ(due_ids(*s, now_t), (std::vector<std::string>{befriend[2]}));
    ASSERT_FALSE(apply(*s, {set_state(befriend[2], OutboxState::delivered)}).error);
    EXPECT_TRUE(due_ids(*s, now_t).empty());
    EXPECT_FALSE(s->next_outbox_attempt(error));
}

TEST(OutboxStore, AnUpdateAppliesOnlyFromTheStatesItNames) {
    TempDir dir;
    auto s = open_outbox_store(dir.path());
    const auto m = message_numbered(6);
    const auto id = queue_message(*s, m, {item_for(m, "befriend", "https://b.example/in")})[0];

    auto ack = set_state(id, OutboxState::acknowledged);
    ack.only_from = {OutboxState::pending, OutboxState::delivered, OutboxState::dead};
    auto late_push_result = set_state(id, OutboxState::delivered);
    late_push_result.only_from = {OutboxState::pending};
    late_push_result.attempts = 1;
    const auto result = apply(*s, {ack, late_push_result, set_state("no-such-item", OutboxState::dead)});
    ASSERT_FALSE(result.error) << result.error_message;
    EXPECT_EQ(result.outbox_updated, (std::vector<bool>{true, false, false}));

    std::error_code error;
    const auto item = s->find_outbox_item(id, error);
    ASSERT_TRUE(item);
    EXPECT_EQ(item->state, OutboxState::acknowledged);
    EXPECT_EQ(item->attempts, 0u);
}

TEST(OutboxStore, AttemptsAreCountedToADeadLetterAndEachIsAudited) {
    TempDir dir;
    auto s = open_outbox_store(dir.path());
    const auto m = message_numbered(7);
    const auto id = queue_message(*s, m, {item_for(m, "befriend", "https://b.example/in")})[0];

    gateway::delivery::DeliveryOptions options;
    options.max_attempts = 4;
    options.backoff_base = 1s;
    options.backoff_cap = 3s;
    gateway::delivery::AttemptResult failure;
    failure.http_status = 500;
    const std::vector<SystemClock::time_point> expected_next = {now_t + 500ms, now_t + 1s, now_t + 1500ms};
    for (unsigned attempt = 1; attempt <= 4; ++attempt) {
        std::error_code error;
        const auto item = s->find_outbox_item(id, error);
        ASSERT_TRUE(item);
        ASSERT_EQ(item->state, OutboxState::pending);
        auto record = gateway::delivery::record_attempt(*item, failure, now_t, 0.5, options);
        store::WriteSet writes;
        writes.outbox_updates.push_back(record.update);
        writes.audit = record.events;
        const auto result = commit_now(*s, std::move(writes));
        ASSERT_FALSE(result.error) << result.error_message;
        ASSERT_TRUE(result.outbox_updated[0]);

        const auto after = s->find_outbox_item(id, error);
        ASSERT_TRUE(after);
        EXPECT_EQ(after->attempts, attempt);
        EXPECT_EQ(after->last_error, "HTTP 500");
        if (attempt < 4) {
            EXPECT_EQ(after->state, OutboxState::pending);
            EXPECT_EQ(after->next_attempt_at, expected_next[attempt - 1]);  // jitter 0.5 of 1 s, 2 s, 3 s (capped)
        } else {
            EXPECT_EQ(after->state, OutboxState::dead);
        }
    }

    gateway::audit::AuditQuery query;
    query.recipient = "DBF01";
    query.limit = 100;
    std::error_code error;
    const auto entries = s->find_audit_entries(query, error);
    ASSERT_FALSE(error);
    int failed = 0, dead = 0;
    for (const auto& entry : entries) {
        EXPECT_EQ(entry.event.patient, m.nhs_number);
        EXPECT_EQ(entry.event.message_id, m.id);
        failed += entry.event.action == gateway::audit::AuditAction::delivery_failed;
        dead += entry.event.action == gateway::audit::AuditAction::dead_lettered;
    }
    EXPECT_EQ(failed, 4);
    EXPECT_EQ(dead, 1);

    store::OutboxQuery dead_letters;
    dead_letters.state = OutboxState::dead;
    EXPECT_EQ(s->count_outbox_items(dead_letters, error), 1u);
    dead_letters.recipient = "mind";
    EXPECT_EQ(s->count_outbox_items(dead_letters, error), 0u);
}

TEST(OutboxStore, PagesFollowTheCursorAndKeepRecipientsApart) {
    TempDir dir;
    auto s = open_outbox_store(dir.path());
    std::vector<std::string> befriend;
    for (int n = 1; n <= 5; ++n) {
        const auto m = message_numbered(n);
        const auto ids = queue_message(*s, m, {item_for(m, "befriend"), item_for(m, "mind")});
        befriend.push_back(ids[0]);
    }
    store::OutboxQuery query;
    query.recipient = "befriend";
    query.limit = 2;
    std::vector<std::string> seen;
    std::error_code error;
    for (int page = 0; page < 10; ++page) {
        const auto items = s->find_outbox_items(query, error);
        ASSERT_FALSE(error);
        for (const auto& item : items) {
            EXPECT_EQ(item.recipient, "befriend");
            seen.push_back(item.id);
        }
        if (items.size() < query.limit) break;
        query.after_seq = items.back().seq;
    }
    EXPECT_EQ(seen, befriend);
    query.after_seq = 0;
    EXPECT_EQ(s->count_outbox_items(query, error), 5u);

    query.with_payload = false;
    const auto bare = s->find_outbox_items(query, error);
    ASSERT_FALSE(bare.empty());
    EXPECT_TRUE(bare[0].payload.empty());
}

TEST(OutboxStore, WhatIsPendingSurvivesClosingTheStore) {
    TempDir dir;
    std::vector<std::string> ids;
    {
        auto s = open_outbox_store(dir.path());
        for (int n = 1; n <= 3; ++n) {
            const auto m = message_numbered(n);
            ids.push_back(queue_message(*s, m, {item_for(m, "befriend", "https://b.example/in")})[0]);
        }
        ASSERT_FALSE(apply(*s, {set_state(ids[0], OutboxState::delivered)}).error);
        s->close();
    }
    auto reopened = open_outbox_store(dir.path());
    EXPECT_EQ(due_ids(*reopened, now_t), (std::vector<std::string>{ids[1]}));
    EXPECT_EQ(items_of(*reopened, "befriend", OutboxState::pending).size(), 2u);
}

}  // namespace
}  // namespace carebridge::testing
