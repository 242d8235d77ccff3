// What the PostgreSQL store adds for several gateway instances on one
// database, each instance here a store of its own on a real server
// (support/postgres_server.hpp): migrations that two instances run at once,
// one idempotency key stored once whichever instance gets it, one audit log
// appended by all, outbox claims with a lease that a dead instance's items
// are taken over after, and one signing key for all.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "audit/checkpoint.hpp"
#include "store/postgresql/postgresql_store.hpp"
#include "store/postgresql/pg_audit.hpp"
#include "store/postgresql/pg_schema.hpp"
#include "store/store.hpp"
#include "store/store_error.hpp"
#include "support/postgres_server.hpp"

namespace {

namespace fs = std::filesystem;
using namespace carebridge::gateway;
using namespace carebridge::gateway::store;
using namespace std::chrono_literals;
using carebridge::testing::postgres_query;
using carebridge::testing::shared_postgres;

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "carebridge-pg-store-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) std::abort();
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

StoredMessage message_with(std::string id, std::string key = {}) {
    StoredMessage message;
    message.id = std::move(id);
    message.sender = "trust";
    message.client = "trust-epr";
    message.idempotency_key = std::move(key);
    message.received_at = "2026-11-23T05:30:00.123Z";
    message.source_format = "fhir";
    message.content_type = "application/fhir+json";
    message.payload = "{}";
    message.canonical = "{}";
    message.outcome = "{\"from\":\"" + message.id + "\"}";
    message.nhs_number = "9990000085";
    return message;
}

OutboxItem push_to(const std::string& message_id, const std::string& recipient) {
    OutboxItem item;
    item.message_id = message_id;
    item.recipient = recipient;
    item.recipient_ods = "DBF01";
    item.service = "befriending";
    item.format = "fhir";
    item.payload = "{}";
    item.content_type = "application/fhir+json";
    item.endpoint_url = "https://127.0.0.1:9/referrals";
    return item;
}

audit::AuditEvent received(const std::string& message_id) {
    audit::AuditEvent event;
    event.action = audit::AuditAction::received;
    event.actor_organisation = "RZZ";
    event.actor_role = "submitter";
    event.patient = "9990000085";
    event.message_id = message_id;
    event.outcome = "success";
    return event;
}

CommitResult commit_and_wait(Store& store, WriteSet writes) {
    auto promise = std::make_shared<std::promise<CommitResult>>();
    auto future = promise->get_future();
    store.commit(std::move(writes), [promise](CommitResult result) { promise->set_value(std::move(result)); });
    return future.get();
}

class PostgresqlStore : public ::testing::Test {
protected:
    void SetUp() override {
        std::string error;
        auto* server = shared_postgres(error);
        // Not a skip: install-deps.sh installs PostgreSQL; one that cannot start must be seen.
        ASSERT_TRUE(server) << "PostgreSQL must start for the PostgreSQL store's tests: " << error;
        url_ = server->fresh_database(error);
        ASSERT_TRUE(error.empty()) << error;
    }

    // One gateway instance's store; every instance shares the signing key.
    std::unique_ptr<Store> instance(const std::string& name, std::chrono::seconds lease = 120s,
                                    const std::string& key_file = "audit-signing-key.pem") {
        PostgresqlOptions options;
        options.url = url_;
        options.instance = name;
        options.outbox_lease = lease;
        options.audit_signing_key = (dir_.path() / key_file).string();
        std::error_code error;
        std::string message;
        auto store = open_postgresql_store(options, error, message);
        EXPECT_TRUE(store) << error.message() << ": " << message;
        return store;
    }

    std::int64_t count(const std::string& sql, const std::string& parameter = {}) {
        std::string error;
        const std::string text = postgres_query(url_, sql, error, parameter);
        EXPECT_TRUE(error.empty()) << error;
        return text.empty() ? -1 : std::stoll(text);
    }

    TempDir dir_;
    std::string url_;
};

TEST_F(PostgresqlStore, InstancesStartingTogetherMigrateOnce) {
    std::vector<std::future<std::unique_ptr<Store>>> starting;
    for (int i = 0; i < 3; ++i)
        starting.push_back(std::async(std::launch::async, [this, i] { return instance("i" + std::to_string(i)); }));
    std::vector<std::unique_ptr<Store>> stores;
    for (auto& s : starting) stores.push_back(s.get());
    for (auto& s : stores) ASSERT_TRUE(s);
    EXPECT_EQ(count("SELECT count(*) FROM schema_version"), postgresql_schema_version());
    EXPECT_EQ(count("SELECT count(*) FROM audit_signing_keys"), 1);
}

TEST_F(PostgresqlStore, TheSameKeyPostedToTwoInstancesAtOnceIsStoredOnceAndBothAnswersAgree) {
    auto a = instance("a");
    auto b = instance("b");
    ASSERT_TRUE(a && b);
    constexpr int referrals = 40;
    std::vector<std::future<CommitResult>> from_a, from_b;
    for (int i = 0; i < referrals; ++i) {
        const std::string key = "same-" + std::to_string(i);
        const auto writes_for = [&](const std::string& id) {
            WriteSet writes;
            writes.messages.push_back(message_with(id, key));
            writes.outbox.push_back(push_to(id, "befriend"));
            writes.audit.push_back(received(id));
            return writes;
        };
        from_a.push_back(std::async(std::launch::async, [&, w = writes_for("a-" + std::to_string(i))]() mutable {
            return commit_and_wait(*a, std::move(w));
        }));
        from_b.push_back(std::async(std::launch::async, [&, w = writes_for("b-" + std::to_string(i))]() mutable {
            return commit_and_wait(*b, std::move(w));
        }));
    }
    for (int i = 0; i < referrals; ++i) {
        const CommitResult ra = from_a[i].get();
        const CommitResult rb = from_b[i].get();
        ASSERT_FALSE(ra.error) << ra.error_message;
        ASSERT_FALSE(rb.error) << rb.error_message;
        // One stored it, the other answers with the original's id and outcome.
        EXPECT_NE(ra.messages[0].duplicate, rb.messages[0].duplicate) << i;
        EXPECT_EQ(ra.messages[0].id, rb.messages[0].id) << i;
        const CommitResult& repeat = ra.messages[0].duplicate ? ra : rb;
        EXPECT_EQ(repeat.messages[0].outcome, "{\"from\":\"" + repeat.messages[0].id + "\"}");
        EXPECT_EQ(repeat.outbox_ids, std::vector<std::string>{""});  // the repeat's copy is left out
        EXPECT_EQ(repeat.audit_seqs, std::vector<std::uint64_t>{0});
    }
    EXPECT_EQ(count("SELECT count(*) FROM messages"), referrals);
    EXPECT_EQ(count("SELECT count(*) FROM outbox"), referrals);
    EXPECT_EQ(count("SELECT count(*) FROM audit_entries"), referrals);
}

TEST_F(PostgresqlStore, InstancesAppendingAtOnceLeaveOneGaplessLogThatVerifies) {
    std::vector<std::unique_ptr<Store>> stores;
    for (int i = 0; i < 3; ++i) stores.push_back(instance("i" + std::to_string(i)));
    for (auto& s : stores) ASSERT_TRUE(s);
    constexpr int per_thread = 60;
    std::atomic<int> failures{0};
    std::vector<std::thread> writers;
    for (int t = 0; t < 6; ++t) {
        writers.emplace_back([&, t] {
            Store& store = *stores[t % stores.size()];
            for (int i = 0; i < per_thread; ++i) {
                WriteSet writes;
                writes.audit.push_back(received("m-" + std::to_string(t) + "-" + std::to_string(i)));
                writes.audit.back().message_id.clear();
                writes.sign_audit_checkpoint = i % 20 == 19;  // every instance signs now and then
                if (commit_and_wait(store, std::move(writes)).error) ++failures;
            }
        });
    }
    for (auto& w : writers) w.join();
    EXPECT_EQ(failures.load(), 0);
    WriteSet sign;
    sign.sign_audit_checkpoint = true;
    ASSERT_FALSE(commit_and_wait(*stores[0], std::move(sign)).error);  // signs unless the last writer just did

    constexpr int total = 6 * per_thread;
    EXPECT_EQ(count("SELECT count(*) FROM audit_entries"), total);
    EXPECT_EQ(count("SELECT max(seq) FROM audit_entries"), total);
    const auto result = verify_audit_postgresql(url_, audit::keys_of(&stores[0]->audit_public_key()));
    EXPECT_EQ(result.status, audit::LogStatus::intact) << result.line;
    EXPECT_EQ(result.entries, static_cast<std::uint64_t>(total));
    ASSERT_TRUE(result.last_checkpoint);
    EXPECT_EQ(result.last_checkpoint->tree_size, static_cast<std::uint64_t>(total));
    // The same pass through the Store interface (/audit/verification's), with the keys the database recorded.
    const auto through_store = stores[1]->verify_audit_log();
    EXPECT_EQ(through_store.status, audit::LogStatus::intact) << through_store.line;
    EXPECT_EQ(through_store.entries, static_cast<std::uint64_t>(total));
    EXPECT_TRUE(stores[1]->audit_trusted_keys().find(stores[0]->audit_public_key().id()));

    // An instance that starts later carries on the same chain.
    auto later = instance("later");
    ASSERT_TRUE(later);
    WriteSet one;
    one.audit.push_back(received("late"));
    one.audit.back().message_id.clear();
    const CommitResult appended = commit_and_wait(*later, std::move(one));
    ASSERT_FALSE(appended.error) << appended.error_message;
    EXPECT_EQ(appended.audit_seqs, std::vector<std::uint64_t>{total + 1});
    EXPECT_EQ(verify_audit_postgresql(url_, audit::keys_of(&later->audit_public_key())).status, audit::LogStatus::intact);
}

TEST_F(PostgresqlStore, AnEditedEntryIsFoundByVerify) {
    auto store = instance("a");
    ASSERT_TRUE(store);
    for (int i = 0; i < 5; ++i) {
        WriteSet writes;
        writes.audit.push_back(received("m-" + std::to_string(i)));
        writes.sign_audit_checkpoint = true;
        ASSERT_FALSE(commit_and_wait(*store, std::move(writes)).error);
    }
    std::string error;
    // An attacker with the database drops the guard first.
    postgres_query(url_, "ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only", error);
    ASSERT_TRUE(error.empty()) << error;
    postgres_query(url_, "UPDATE audit_entries SET recipient = 'DXX01' WHERE seq = 3", error);
    ASSERT_TRUE(error.empty()) << error;
    const auto result = verify_audit_postgresql(url_, audit::keys_of(&store->audit_public_key()));
    EXPECT_EQ(result.status, audit::LogStatus::tampered);
    EXPECT_EQ(result.first_bad, 3u) << result.line;
}

TEST_F(PostgresqlStore, TheDatabaseRecordsEveryKeyItsCheckpointsAreSignedWith) {
    auto first = instance("a");
    ASSERT_TRUE(first);
    auto again = instance("b");  // the same key file: recorded once
    ASSERT_TRUE(again);
    EXPECT_EQ(count("SELECT count(*) FROM audit_signing_keys"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM audit_signing_keys WHERE key_id = $1", first->audit_public_key().id()), 1);
    auto rotated = instance("c", 120s, "next-key.pem");  // a rotation's next key
    ASSERT_TRUE(rotated);
    EXPECT_EQ(count("SELECT count(*) FROM audit_signing_keys"), 2);
}

// Two instances' escalation rounds both read a red referral's due timer; the
// store lets one of them record the escalation and refuses the other.
TEST_F(PostgresqlStore, TwoInstancesFiringOneTimerAtOnceRecordOneEscalation) {
    auto a = instance("a");
    auto b = instance("b");
    ASSERT_TRUE(a && b);
    constexpr int referrals = 20;
    WriteSet routed;
    for (int i = 0; i < referrals; ++i) {
        const std::string id = "red-" + std::to_string(i);
        routed.messages.push_back(message_with(id));
        routed.escalation_timers.push_back({id, "2026-11-23T09:30:00.000Z"});
    }
    ASSERT_FALSE(commit_and_wait(*a, std::move(routed)).error);
    std::error_code error;
    ASSERT_EQ(a->due_escalation_timers("2026-11-23T09:30:00.000Z", 100, error).size(), std::size_t{referrals});
    ASSERT_EQ(b->due_escalation_timers("2026-11-23T09:30:00.000Z", 100, error).size(), std::size_t{referrals});

    const auto escalation = [](const std::string& id, const std::string& by) {
        WriteSet writes;
        writes.escalation_timers_fired.push_back(id);
        HistoryEntry step;
        step.message_id = id;
        step.organisation = "gateway";
        step.status = "escalated";
        step.reason = by;
        writes.history.push_back(step);
        audit::AuditEvent event = received(id);
        event.action = audit::AuditAction::status_changed;
        writes.audit.push_back(event);
        return writes;
    };
    std::vector<std::future<CommitResult>> from_a, from_b;
    for (int i = 0; i < referrals; ++i) {
        const std::string id = "red-" + std::to_string(i);
        from_a.push_back(std::async(std::launch::async, [&, id] { return commit_and_wait(*a, escalation(id, "a")); }));
        from_b.push_back(std::async(std::launch::async, [&, id] { return commit_and_wait(*b, escalation(id, "b")); }));
    }
    for (int i = 0; i < referrals; ++i) {
        const CommitResult ra = from_a[i].get();
        const CommitResult rb = from_b[i].get();
        // Exactly one fired it; the other was refused as no longer pending.
        EXPECT_NE(static_cast<bool>(ra.error), static_cast<bool>(rb.error)) << i;
        const CommitResult& refused = ra.error ? ra : rb;
        EXPECT_EQ(refused.error, StoreErrc::escalation_not_pending) << refused.error_message;
        const auto steps = a->referral_history("red-" + std::to_string(i), error);
        ASSERT_EQ(steps.size(), 1u) << i;
        EXPECT_EQ(steps[0].reason, ra.error ? "b" : "a");
    }
    EXPECT_EQ(count("SELECT count(*) FROM audit_entries WHERE action = 'status-changed'"), referrals);
    EXPECT_EQ(count("SELECT count(*) FROM escalation_timers WHERE state = 'pending'"), 0);
}

TEST_F(PostgresqlStore, EachDueHeadIsClaimedByOneInstanceInRecipientOrderAndTakenOverAfterItsLease) {
    auto a = instance("a");
    auto b = instance("b");
    ASSERT_TRUE(a && b);
    // Two recipients, two items each, in order.
    WriteSet writes;
    for (const char* id : {"m-1", "m-2"}) {
        writes.messages.push_back(message_with(id));
        writes.outbox.push_back(push_to(id, "befriend"));
        writes.outbox.push_back(push_to(id, "mind"));
    }
    const CommitResult queued = commit_and_wait(*a, std::move(writes));
    ASSERT_FALSE(queued.error) << queued.error_message;
    EXPECT_TRUE(a->claims_outbox_items());

    const auto now = std::chrono::system_clock::now();
    std::error_code error;
    const auto claimed_by_a = a->due_outbox_items(now, 1, error);
    ASSERT_FALSE(error);
    ASSERT_EQ(claimed_by_a.size(), 1u);
    EXPECT_EQ(claimed_by_a[0].message_id, "m-1");  // a head: the recipient's oldest
    // b gets the other recipient's head, never a's, and never a second item
    // of a recipient whose head is held.
    const auto claimed_by_b = b->due_outbox_items(now, 10, error);
    ASSERT_FALSE(error);
    ASSERT_EQ(claimed_by_b.size(), 1u);
    EXPECT_EQ(claimed_by_b[0].message_id, "m-1");
    EXPECT_NE(claimed_by_b[0].recipient, claimed_by_a[0].recipient);
    EXPECT_TRUE(a->due_outbox_items(now, 10, error).empty());
    EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE claimed_by IS NOT NULL"), 2);

    // b records its delivery: its claim ends and the recipient's next item is the head.
    WriteSet delivered;
    OutboxUpdate update;
    update.id = claimed_by_b[0].id;
    update.state = OutboxState::delivered;
    update.only_from = {OutboxState::pending};
    delivered.outbox_updates.push_back(update);
    const CommitResult recorded = commit_and_wait(*b, std::move(delivered));
    ASSERT_FALSE(recorded.error) << recorded.error_message;
    EXPECT_EQ(recorded.outbox_updated, std::vector<bool>{true});
    const auto next_for_b = b->due_outbox_items(std::chrono::system_clock::now(), 10, error);
    ASSERT_EQ(next_for_b.size(), 1u);
    EXPECT_EQ(next_for_b[0].recipient, claimed_by_b[0].recipient);
    EXPECT_EQ(next_for_b[0].message_id, "m-2");

    // a dies holding its claim (a clean close gives claims back, a crash
    // does not, so the crash's leftover is written as it would be): b leaves
    // the item alone while the lease runs and takes it over once it has run out.
    a.reset();
    const auto hold = [&](const char* until) {
        std::string sql_error;
        postgres_query(url_,
                       std::string("UPDATE outbox SET claimed_by = 'a', lease_until = ") + until + " WHERE id = '" +
                           claimed_by_a[0].id + "'",
                       sql_error);
        ASSERT_TRUE(sql_error.empty()) << sql_error;
    };
    hold("clock_timestamp() + interval '1 hour'");
    EXPECT_TRUE(b->due_outbox_items(std::chrono::system_clock::now(), 10, error).empty());
    const auto next = b->next_outbox_attempt(error);
    ASSERT_TRUE(next);  // not before a lease ends (b's own on its recipient's head, or a's)
    EXPECT_GT(*next, std::chrono::system_clock::now() + 60s);
    hold("clock_timestamp() - interval '1 second'");
    const auto taken_over = b->due_outbox_items(std::chrono::system_clock::now(), 10, error);
    ASSERT_EQ(taken_over.size(), 1u);
    EXPECT_EQ(taken_over[0].id, claimed_by_a[0].id);
    EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE claimed_by = 'b'"), 2);
}

TEST_F(PostgresqlStore, AStoreClosedCleanlyGivesItsClaimsBack) {
    auto a = instance("a");
    auto b = instance("b");
    ASSERT_TRUE(a && b);
    WriteSet writes;
    writes.messages.push_back(message_with("m-1"));
    writes.outbox.push_back(push_to("m-1", "befriend"));
    ASSERT_FALSE(commit_and_wait(*a, std::move(writes)).error);
    std::error_code error;
    ASSERT_EQ(a->due_outbox_items(std::chrono::system_clock::now(), 10, error).size(), 1u);
    EXPECT_TRUE(b->due_outbox_items(std::chrono::system_clock::now(), 10, error).empty());
    a->close();
    EXPECT_EQ(b->due_outbox_items(std::chrono::system_clock::now(), 10, error).size(), 1u);
}

TEST_F(PostgresqlStore, AServerRestartMakesItNotReadyThenReadyAgainWithoutReopening) {
    auto store = instance("a");
    ASSERT_TRUE(store);
    WriteSet before;
    before.messages.push_back(message_with("before", "k-before"));
    ASSERT_FALSE(commit_and_wait(*store, std::move(before)).error);
    EXPECT_TRUE(store->ready());

    std::string error;
    auto* server = shared_postgres(error);
    ASSERT_TRUE(server);
    server->stop();
    EXPECT_FALSE(store->ready());
    WriteSet during;
    during.messages.push_back(message_with("during", "k-during"));
    const CommitResult refused = commit_and_wait(*store, std::move(during));
    EXPECT_TRUE(refused.error);
    EXPECT_EQ(refused.error, std::errc::io_error) << refused.error.message() << ": " << refused.error_message;

    ASSERT_TRUE(server->start(error)) << error;
    const auto guard = std::chrono::steady_clock::now() + 30s;
    while (!store->ready() && std::chrono::steady_clock::now() < guard) std::this_thread::sleep_for(100ms);
    EXPECT_TRUE(store->ready());
    WriteSet after;
    after.messages.push_back(message_with("after", "k-after"));
    const CommitResult stored = commit_and_wait(*store, std::move(after));
    EXPECT_FALSE(stored.error) << stored.error_message;
    std::error_code read_error;
    EXPECT_TRUE(store->find_message("before", read_error));
    EXPECT_TRUE(store->find_message("after", read_error));
    EXPECT_FALSE(store->find_message("during", read_error));
}

}  // namespace
