// The audit log in the store, on SQLite and on PostgreSQL alike: entries
// committed with what they record (or not at all), a chain head that follows
// rollbacks, signed checkpoints, proofs from stored leaves, the auditor's
// filters, and many writers at once.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "audit/entry_bytes.hpp"
#include "audit/merkle.hpp"
#include "audit_fixture.hpp"
#include "store/postgresql/postgresql_store.hpp"
#include "store/postgresql/pg_audit.hpp"
#include "store/postgresql/pg_connection.hpp"
#include "store/sqlite/sqlite_audit.hpp"
#include "store/store_error.hpp"
#include "support/postgres_server.hpp"

namespace {

using namespace carebridge::gateway;
using namespace carebridge::testing;
using audit::AuditAction;
using store::CommitResult;
using store::WriteSet;

store::StoredMessage message_with(std::string id) {
    store::StoredMessage m;
    m.id = std::move(id);
    m.sender = "trust";
    m.client = "trust-epr";
    m.received_at = "2026-11-23T05:30:00.123Z";
    m.source_format = "fhir";
    m.content_type = "application/fhir+json";
    m.payload = "{}";
    m.canonical = "{}";
    m.outcome = "{}";
    m.nhs_number = "9990000085";
    return m;
}

WriteSet events(std::vector<audit::AuditEvent> audit, std::vector<store::StoredMessage> messages = {}) {
    WriteSet writes;
    writes.audit = std::move(audit);
    writes.messages = std::move(messages);
    return writes;
}

std::vector<audit::AuditEntry> all_entries(store::Store& store) {
    std::vector<audit::AuditEntry> all;
    audit::AuditQuery query;
    query.limit = audit::max_page;
    for (;;) {
        std::error_code error;
        auto page = store.find_audit_entries(query, error);
        EXPECT_FALSE(error) << error.message();
        if (page.empty()) return all;
        query.after_seq = page.back().seq;
        all.insert(all.end(), page.begin(), page.end());
    }
}

// Recomputes each entry's hash from its contents and checks every link.
void expect_chain(const std::vector<audit::AuditEntry>& entries) {
    std::string previous(audit::genesis_hash);
    std::string canonical;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& entry = entries[i];
        ASSERT_EQ(entry.seq, i + 1);
        EXPECT_EQ(entry.previous_hash, previous) << "entry " << entry.seq;
        audit::canonical_entry(audit::text_of(entry.event, entry.previous_hash), canonical);
        EXPECT_EQ(entry.hash, audit::to_hex(audit::entry_hash(canonical))) << "entry " << entry.seq;
        previous = entry.hash;
    }
}

std::vector<std::uint64_t> seqs_of(const std::vector<audit::AuditEntry>& entries) {
    std::vector<std::uint64_t> seqs;
    for (const auto& e : entries) seqs.push_back(e.seq);
    return seqs;
}

// Holds the writer inside a done callback, so what is queued meanwhile
// commits together in the next transaction.
class Gate {
public:
    store::Store::Done hold() {
        return [this](CommitResult) {
            std::unique_lock lock(mutex_);
            entered_ = true;
            changed_.notify_all();
            changed_.wait(lock, [this] { return open_; });
        };
    }
    void wait_until_held() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return entered_; });
    }
    void open() {
        std::lock_guard lock(mutex_);
        open_ = true;
        changed_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool entered_ = false;
    bool open_ = false;
};

enum class Backend { sqlite, postgresql };

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
    return info.param == Backend::sqlite ? "Sqlite" : "Postgresql";
}

// Each test once on SQLite and once on a fresh database of a real
// PostgreSQL server (support/postgres_server.hpp).
class AuditStore : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        if (!postgresql()) return;
        std::string error;
        auto* server = shared_postgres(error);
        // Not a skip: install-deps.sh installs PostgreSQL; one that cannot start must be seen.
        ASSERT_TRUE(server) << "PostgreSQL must start for the PostgreSQL store's tests: " << error;
        url_ = server->fresh_database(error);
        ASSERT_TRUE(error.empty()) << error;
    }

    bool postgresql() const { return GetParam() == Backend::postgresql; }

    std::unique_ptr<store::Store> open_audit_store(const AuditTempDir& dir) {
        if (!postgresql()) return carebridge::testing::open_audit_store(dir);
        fs::create_directories(dir.data());
        store::PostgresqlOptions options;
        options.url = url_;
        // Where the SQLite store keeps it: beside the instance's data.
        options.audit_signing_key = (dir.data() / audit::signing_key_file).string();
        std::error_code error;
        std::string message;
        auto opened = store::open_postgresql_store(options, error, message);
        EXPECT_TRUE(opened) << error.message() << ": " << message;
        return opened;
    }

    audit::LogVerification verify(const AuditTempDir& dir, const audit::PublicKey* key) {
        return postgresql() ? store::verify_audit_postgresql(url_, audit::keys_of(key))
                            : store::verify_audit_file(dir.database().string(), audit::keys_of(key));
    }

    // An attacker's SQL, straight to the database; the error it gets.
    std::string sql_error(const AuditTempDir& dir, const std::string& sql) {
        if (!postgresql()) return carebridge::testing::sql_error(dir.database(), sql);
        std::string error;
        postgres_query(url_, sql, error);
        return error;
    }

    std::string url_;
};

INSTANTIATE_TEST_SUITE_P(Backends, AuditStore, ::testing::Values(Backend::sqlite, Backend::postgresql),
                         backend_name);

TEST_P(AuditStore, AMessageAndItsEventsCommitTogetherWithSequenceNumbersAndLinks) {
    AuditTempDir dir;
    auto store = open_audit_store(dir);
    ASSERT_TRUE(store);

    const CommitResult result =
        commit_and_wait(*store, events({event_number(0), event_number(1)}, {message_with("m-1")}));
    ASSERT_FALSE(result.error) << result.error_message;
    EXPECT_EQ(result.audit_seqs, (std::vector<std::uint64_t>{1, 2}));
    ASSERT_EQ(result.messages.size(), 1u);

    const auto entries = all_entries(*store);
    ASSERT_EQ(entries.size(), 2u);
    const audit::AuditEvent expected = event_number(1);
    const audit::AuditEvent& got = entries[1].event;
    EXPECT_EQ(got.time, expected.time);
    EXPECT_EQ(got.action, expected.action);
    EXPECT_EQ(got.actor_organisation, expected.actor_organisation);
    EXPECT_EQ(got.actor_client, expected.actor_client);
    EXPECT_EQ(got.actor_role, expected.actor_role);
    EXPECT_EQ(got.patient, expected.patient);
    EXPECT_EQ(got.message_id, expected.message_id);
    EXPECT_EQ(got.referral_id, expected.referral_id);
    EXPECT_EQ(got.recipient, expected.recipient);
    EXPECT_EQ(got.purpose, expected.purpose);
    EXPECT_EQ(got.lawful_basis, expected.lawful_basis);
    EXPECT_EQ(got.consent_reference, expected.consent_reference);
    EXPECT_EQ(got.outcome, expected.outcome);
    EXPECT_EQ(got.detail, expected.detail);
    EXPECT_EQ(entries[0].previous_hash, audit::genesis_hash);
    expect_chain(entries);

    std::error_code error;
    EXPECT_TRUE(store->find_message("m-1", error));
}

TEST_P(AuditStore, AWriteSetOfEventsAloneCommitsAndAnEmptyTimeIsStamped) {
    AuditTempDir dir;
    auto store = open_audit_store(dir);
    ASSERT_TRUE(store);
    audit::AuditEvent unstamped = event_number(3);
    unstamped.time.clear();
    const CommitResult result = commit_and_wait(*store, events({unstamped}));
    ASSERT_FALSE(result.error) << result.error_message;
    const auto entries = all_entries(*store);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_TRUE(audit::is_instant(entries[0].event.time)) << entries[0].event.time;
    expect_chain(entries);
}

TEST_P(AuditStore, AFailingWriteSetRollsBackItsEntriesAndTheChainHeadWhileItsTransactionCommits) {
    AuditTempDir dir;
    auto store = open_audit_store(dir);
    ASSERT_TRUE(store);
    ASSERT_FALSE(commit_and_wait(*store, events({event_number(0)}, {message_with("taken")})).error);

    Gate gate;
    store->commit(WriteSet{}, gate.hold());
    gate.wait_until_held();
    auto before = commit_async(*store, events({event_number(1)}));
    // Its events come after a message whose id is taken: all of it goes.
    auto failing = commit_async(*store, events({event_number(2), event_number(3)}, {message_with("taken")}));
    auto invalid = commit_async(*store, events({event_number(4), [] {
                                                    auto e = event_number(5);
                                                    e.time = "yesterday";
                                                    return e;
                                                }()}));
    auto after = commit_async(*store, events({event_number(6)}));
    gate.open();

    const CommitResult ok_before = before.get();
    const CommitResult failed = failing.get();
    const CommitResult refused = invalid.get();
    const CommitResult ok_after = after.get();
    ASSERT_FALSE(ok_before.error);
    ASSERT_TRUE(failed.error);
    if (postgresql())
        EXPECT_EQ(failed.error, std::error_code(store::sqlstate_code(store::unique_violation), store::postgresql_category()));
    else
        EXPECT_EQ(failed.error.value() & 0xff, SQLITE_CONSTRAINT);
    EXPECT_TRUE(failed.audit_seqs.empty());
    ASSERT_TRUE(refused.error);
    EXPECT_EQ(refused.error, std::errc::invalid_argument);
    EXPECT_NE(refused.error_message.find("audit event 2 of 2"), std::string::npos) << refused.error_message;
    ASSERT_FALSE(ok_after.error);
    EXPECT_EQ(ok_before.audit_seqs, (std::vector<std::uint64_t>{2}));
    EXPECT_EQ(ok_after.audit_seqs, (std::vector<std::uint64_t>{3})) << "the rolled-back seqs are used again";

    const auto entries = all_entries(*store);
    EXPECT_EQ(seqs_of(entries), (std::vector<std::uint64_t>{1, 2, 3}));
    expect_chain(entries);
    EXPECT_EQ(entries[2].event.message_id, "msg-6");
    EXPECT_TRUE(store->ready());
}

TEST_P(AuditStore, EventsAboutAMessageThatWasAnIdempotentRepeatAreLeftOut) {
    AuditTempDir dir;
    auto store = open_audit_store(dir);
    ASSERT_TRUE(store);
    auto first = message_with("m-first");
    first.idempotency_key = "key-1";
    auto received = event_number(0);
    received.message_id = first.id;
    ASSERT_EQ(commit_and_wait(*store, events({received}, {first})).audit_seqs, (std::vector<std::uint64_t>{1}));

    auto repeat = message_with("m-repeat");  // a new id, the same key: the original answers
    repeat.idempotency_key = "key-1";
    auto about_repeat = event_number(1);
    about_repeat.message_id = repeat.id;
    auto unrelated = event_number(2);  // names another message: still recorded
    const CommitResult result = commit_and_wait(*store, events({about_repeat, unrelated}, {repeat}));
    ASSERT_FALSE(result.error) << result.error_message;
    ASSERT_TRUE(result.messages.at(0).duplicate);
    EXPECT_EQ(result.audit_seqs, (std::vector<std::uint64_t>{0, 2}));
    const auto entries = all_entries(*store);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[1].event.message_id, unrelated.message_id);
    expect_chain(entries);
}

TEST_P(AuditStore, ADetailThatIsNotAJsonObjectIsRefused) {
    AuditTempDir dir;
    auto store = open_audit_store(dir);
    ASSERT_TRUE(store);
    auto e = event_number(0);
    e.detail = "rule r1";
    const CommitResult result = commit_and_wait(*store, events({e}));
    ASSERT_TRUE(result.error);
    EXPECT_NE(result.error_message.find("detail"), std::string::npos) << result.error_message;
    EXPECT_TRUE(all_entries(*store).empty());
}

TEST_P(AuditStore, ACheckpointSignsTheRootOfEveryEntryAndOnlyWhenTheLogGrew) {
    AuditTempDir dir;
    auto store = open_audit_store(dir);
    ASSERT_TRUE(store);
    std::error_code error;
    EXPECT_FALSE(store->latest_audit_checkpoint(error));

    // Nothing to sign in an empty log.
    CommitResult nothing = [&] {
        std::promise<CommitResult> p;
        store->sign_audit_checkpoint([&](CommitResult r) { p.set_value(std::move(r)); });
        return p.get_future().get();
    }();
    EXPECT_FALSE(nothing.error);
    EXPECT_FALSE(nothing.checkpoint);

    std::vector<audit::AuditEvent> first;
    for (int i = 0; i < 5; ++i) first.push_back(event_number(i));
    WriteSet writes = events(first);
    writes.sign_audit_checkpoint = true;  // in the same transaction as the entries it covers
    const CommitResult five = commit_and_wait(*store, std::move(writes));
    ASSERT_FALSE(five.error) << five.error_message;
    ASSERT_TRUE(five.checkpoint);
    EXPECT_EQ(five.checkpoint->tree_size, 5u);

    WriteSet again;
    again.sign_audit_checkpoint = true;
    EXPECT_FALSE(commit_and_wait(*store, std::move(again)).checkpoint) << "the log did not grow";

    for (int i = 5; i < 12; ++i) ASSERT_FALSE(commit_and_wait(*store, events({event_number(i)})).error);
    WriteSet later;
    later.sign_audit_checkpoint = true;
    const CommitResult twelve = commit_and_wait(*store, std::move(later));
    ASSERT_TRUE(twelve.checkpoint);
    EXPECT_EQ(twelve.checkpoint->tree_size, 12u);

    // The root is the Merkle root over the leaves recomputed from the
    // entries' contents, not only over what the store kept.
    const auto entries = all_entries(*store);
    std::vector<audit::Hash> leaves;
    std::string canonical;
    for (const auto& entry : entries) {
        audit::canonical_entry(audit::text_of(entry.event, entry.previous_hash), canonical);
        leaves.push_back(audit::leaf_hash(canonical));
    }
    EXPECT_EQ(store->audit_leaf_hashes(1, 12, error), leaves);
    EXPECT_EQ(twelve.checkpoint->root_hash, audit::merkle_root(leaves));
    EXPECT_EQ(five.checkpoint->root_hash, audit::merkle_root(std::span(leaves).first(5)));
    EXPECT_TRUE(store->audit_public_key().verify(*twelve.checkpoint));
    EXPECT_TRUE(store->audit_public_key().verify(*five.checkpoint));

    const auto latest = store->latest_audit_checkpoint(error);
    ASSERT_TRUE(latest);
    EXPECT_EQ(latest->tree_size, 12u);
    EXPECT_EQ(latest->signature, twelve.checkpoint->signature);
    const auto at_five = store->audit_checkpoint_at(5, error);
    ASSERT_TRUE(at_five);
    EXPECT_EQ(at_five->root_hash, five.checkpoint->root_hash);
    EXPECT_EQ(at_five->key_id, store->audit_public_key().id());
    EXPECT_FALSE(store->audit_checkpoint_at(6, error));
    EXPECT_FALSE(error);

    // The key beside the store: private 0600, public for auditors.
    struct stat info {};
    ASSERT_EQ(::stat((dir.data() / audit::signing_key_file).c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    std::string message;
    const auto published = audit::PublicKey::load((dir.data() / audit::public_key_file).string(), message);
    ASSERT_TRUE(published) << message;
    EXPECT_TRUE(published->verify(*latest));
}

TEST_P(AuditStore, ProofsFromStoredLeavesVerifyAgainstSignedCheckpoints) {
    AuditTempDir dir;
    auto store = open_audit_store(dir);
    ASSERT_TRUE(store);
    std::optional<audit::Checkpoint> small, large;
    for (int i = 0; i < 23; ++i) {
        WriteSet writes = events({event_number(i)});
        writes.sign_audit_checkpoint = i == 6 || i == 22;
        CommitResult result = commit_and_wait(*store, std::move(writes));
        ASSERT_FALSE(result.error);
        if (i == 6) small = result.checkpoint;
        if (i == 22) large = result.checkpoint;
    }
    ASSERT_TRUE(small && large);
    std::error_code error;
    const auto leaves = store->audit_leaf_hashes(1, large->tree_size, error);
    ASSERT_EQ(leaves.size(), 23u);
    for (std::uint64_t seq = 1; seq <= 23; ++seq) {
        const auto proof = audit::inclusion_proof(leaves, seq - 1);
        EXPECT_TRUE(audit::verify_inclusion(leaves[seq - 1], seq - 1, 23, proof, large->root_hash)) << seq;
    }
    const auto consistency = audit::consistency_proof(leaves, small->tree_size);
    EXPECT_TRUE(
        audit::verify_consistency(small->tree_size, large->tree_size, small->root_hash, large->root_hash, consistency));
    EXPECT_EQ(store->audit_leaf_hashes(20, 40, error).size(), 4u) << "a range past the end is cut short";
    EXPECT_TRUE(store->audit_leaf_hashes(0, 0, error).empty());
}

TEST_P(AuditStore, ReopeningCarriesTheChainOnFromWhereItStopped) {
    AuditTempDir dir;
    {
        auto store = open_audit_store(dir);
        ASSERT_TRUE(store);
        for (int i = 0; i < 7; ++i) ASSERT_FALSE(commit_and_wait(*store, events({event_number(i)})).error);
        WriteSet writes;
        writes.sign_audit_checkpoint = true;
        ASSERT_TRUE(commit_and_wait(*store, std::move(writes)).checkpoint);
        store->close();
    }
    auto store = open_audit_store(dir);
    ASSERT_TRUE(store);
    WriteSet writes = events({event_number(7), event_number(8)});
    writes.sign_audit_checkpoint = true;
    const CommitResult result = commit_and_wait(*store, std::move(writes));
    ASSERT_FALSE(result.error) << result.error_message;
    EXPECT_EQ(result.audit_seqs, (std::vector<std::uint64_t>{8, 9}));
    ASSERT_TRUE(result.checkpoint);
    std::error_code error;
    EXPECT_EQ(result.checkpoint->root_hash, audit::merkle_root(store->audit_leaf_hashes(1, 9, error)));
    expect_chain(all_entries(*store));
    store->close();
    EXPECT_EQ(verify(dir, &store->audit_public_key()).status,
              audit::LogStatus::intact);
}

TEST_P(AuditStore, SqlCannotUpdateOrDeleteEntriesOrCheckpoints) {
    AuditTempDir dir;
    {
        auto store = open_audit_store(dir);
        ASSERT_TRUE(store);
        WriteSet writes = events({event_number(0), event_number(1)});
        writes.sign_audit_checkpoint = true;
        ASSERT_FALSE(commit_and_wait(*store, std::move(writes)).error);
        store->close();
    }
    for (const char* sql :
         {"UPDATE audit_entries SET recipient = 'X' WHERE seq = 1", "DELETE FROM audit_entries WHERE seq = 2",
          "UPDATE audit_checkpoints SET tree_size = 1", "DELETE FROM audit_checkpoints"})
        EXPECT_EQ(sql_error(dir, sql), "the audit log is append-only") << sql;
}

TEST_P(AuditStore, TheAuditorsFiltersAndCursors) {
    AuditTempDir dir;
    auto store = open_audit_store(dir);
    ASSERT_TRUE(store);
    std::vector<audit::AuditEvent> all;
    for (int i = 0; i < 60; ++i) all.push_back(event_number(i));
    ASSERT_FALSE(commit_and_wait(*store, events(all)).error);

    const auto run = [&](audit::AuditQuery query) {
        std::error_code error;
        query.limit = audit::max_page;
        auto found = store->find_audit_entries(query, error);
        EXPECT_FALSE(error) << error.message();
        return seqs_of(found);
    };
    const auto expected = [&](auto predicate) {
        std::vector<std::uint64_t> seqs;
        for (int i = 0; i < 60; ++i)
            if (predicate(all[static_cast<std::size_t>(i)])) seqs.push_back(static_cast<std::uint64_t>(i + 1));
        return seqs;
    };

    audit::AuditQuery q;
    q.patient = "9990000018";
    EXPECT_EQ(run(q), expected([](const audit::AuditEvent& e) { return e.patient == "9990000018"; }));
    q = {};
    q.organisation = "DMN01";  // as recipient only, in this data
    EXPECT_EQ(run(q), expected([](const audit::AuditEvent& e) { return e.recipient == "DMN01"; }));
    q.organisation = "RZZ";  // as actor
    EXPECT_EQ(run(q), expected([](const audit::AuditEvent& e) {
                  return e.actor_organisation == "RZZ" || e.recipient == "RZZ";
              }));
    q = {};
    q.recipient = "DBF01";
    q.actions = {AuditAction::disclosed, AuditAction::read};
    EXPECT_EQ(run(q), expected([](const audit::AuditEvent& e) {
                  return e.recipient == "DBF01" &&
                         (e.action == AuditAction::disclosed || e.action == AuditAction::read);
              }));
    q = {};
    q.outcome = "denied";
    EXPECT_EQ(run(q), expected([](const audit::AuditEvent& e) { return e.outcome == "denied"; }));
    q = {};
    q.from = "2026-11-23T05:00:10.000Z";
    q.to = "2026-11-23T05:00:20.000Z";
    EXPECT_EQ(run(q), expected([](const audit::AuditEvent& e) {
                  return e.time >= "2026-11-23T05:00:10.000Z" && e.time < "2026-11-23T05:00:20.000Z";
              }));
    EXPECT_EQ(run(q).size(), 10u);

    // Pages: oldest first after a cursor, newest first before one.
    q = {};
    q.patient = "9990000085";
    q.limit = 4;
    std::error_code error;
    auto page = store->find_audit_entries(q, error);
    EXPECT_EQ(seqs_of(page), (std::vector<std::uint64_t>{1, 4, 7, 10}));
    q.after_seq = page.back().seq;
    EXPECT_EQ(seqs_of(store->find_audit_entries(q, error)), (std::vector<std::uint64_t>{13, 16, 19, 22}));
    q = {};
    q.newest_first = true;
    q.limit = 3;
    EXPECT_EQ(seqs_of(store->find_audit_entries(q, error)), (std::vector<std::uint64_t>{60, 59, 58}));
    q.before_seq = 58;
    EXPECT_EQ(seqs_of(store->find_audit_entries(q, error)), (std::vector<std::uint64_t>{57, 56, 55}));
    q = {};
    q.limit = 0;  // clamped up to one
    EXPECT_EQ(store->find_audit_entries(q, error).size(), 1u);
    q.limit = 5000;  // clamped down to a page
    EXPECT_EQ(store->find_audit_entries(q, error).size(), 60u);
}

TEST_P(AuditStore, ManyThreadsCommittingAtOnceGiveOneContiguousValidChain) {
    AuditTempDir dir;
    auto store = open_audit_store(dir);
    ASSERT_TRUE(store);
    constexpr int threads = 8;
    constexpr int per_thread = 40;
    constexpr int events_per_write = 3;

    std::mutex mutex;
    std::vector<std::vector<std::uint64_t>> seqs;
    std::atomic<int> failures{0};
    std::atomic<bool> writing{true};
    std::vector<std::thread> writers;
    for (int t = 0; t < threads; ++t)
        writers.emplace_back([&, t] {
            std::vector<std::future<CommitResult>> pending;
            for (int i = 0; i < per_thread; ++i) {
                const int n = t * per_thread + i;
                std::vector<audit::AuditEvent> batch;
                for (int k = 0; k < events_per_write; ++k) batch.push_back(event_number(n * events_per_write + k));
                pending.push_back(commit_async(*store, events(batch, {message_with("m-" + std::to_string(n))})));
            }
            for (auto& f : pending) {
                CommitResult r = f.get();
                std::lock_guard lock(mutex);
                if (r.error) ++failures;
                seqs.push_back(r.audit_seqs);
            }
        });
    // Checkpoints signed while the writers run.
    std::thread signer([&] {
        while (writing.load()) {
            std::promise<CommitResult> p;
            store->sign_audit_checkpoint([&](CommitResult r) { p.set_value(std::move(r)); });
            p.get_future().get();
        }
    });
    for (auto& w : writers) w.join();
    writing.store(false);
    signer.join();
    WriteSet last;
    last.sign_audit_checkpoint = true;
    commit_and_wait(*store, std::move(last));

    EXPECT_EQ(failures.load(), 0);
    std::set<std::uint64_t> seen;
    for (const auto& s : seqs) {
        ASSERT_EQ(s.size(), static_cast<std::size_t>(events_per_write));
        for (std::size_t k = 1; k < s.size(); ++k)
            EXPECT_EQ(s[k], s[k - 1] + 1) << "one write set's entries are adjacent";
        seen.insert(s.begin(), s.end());
    }
    constexpr std::uint64_t total = threads * per_thread * events_per_write;
    ASSERT_EQ(seen.size(), total);
    EXPECT_EQ(*seen.begin(), 1u);
    EXPECT_EQ(*seen.rbegin(), total);
    expect_chain(all_entries(*store));

    std::error_code error;
    const auto latest = store->latest_audit_checkpoint(error);
    ASSERT_TRUE(latest);
    EXPECT_EQ(latest->tree_size, total);
    store->close();
    const auto verdict = verify(dir, &store->audit_public_key());
    EXPECT_EQ(verdict.status, audit::LogStatus::intact) << verdict.line;
    EXPECT_EQ(verdict.entries, total);
}

}  // namespace
