#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <semaphore>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_store.hpp"
#include "store/postgresql/postgresql_store.hpp"
#include "store/sqlite/sqlite_error.hpp"
#include "store/postgresql/pg_connection.hpp"
#include "store/postgresql/pg_schema.hpp"
#include "store/sqlite/sqlite_schema.hpp"
#include "store/store.hpp"
#include "store/store_error.hpp"
#include "support/postgres_server.hpp"

namespace {

namespace fs = std::filesystem;
using namespace carebridge::gateway::store;

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "carebridge-store-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) std::abort();
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    const fs::path& path() const { return path_; }
    fs::path data() const { return path_ / "data"; }  // not there yet: the store creates it
    fs::path database() const { return data() / "carebridge.sqlite"; }

private:
    fs::path path_;
};

// Holds the writer inside a done callback, so the test decides what is queued
// together: everything committed while it is shut goes into the next batch.
class Gate {
public:
    Store::Done hold() {
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

// Counts what the observer sees: transactions and the write sets in them.
struct CommitCounts {
    std::atomic<std::size_t> transactions{0};
    std::atomic<std::size_t> write_sets{0};
    std::atomic<std::size_t> largest{0};

    CommitObserver observer() {
        return {[this](std::chrono::microseconds, std::size_t count) {
            ++transactions;
            write_sets += count;
            std::size_t seen = largest.load();
            while (count > seen && !largest.compare_exchange_weak(seen, count)) {
            }
        }};
    }
};

SqliteOptions options_for(const TempDir& dir) {
    SqliteOptions options;
    options.directory = dir.data().string();
    return options;
}

std::unique_ptr<Store> open_store(const SqliteOptions& options) {
    std::error_code error;
    std::string message;
    auto store = open_sqlite_store(options, error, message);
    EXPECT_TRUE(store) << error.message() << ": " << message;
    EXPECT_FALSE(error);
    return store;
}

StoredMessage message_with(std::string id, std::string sender = "trust", std::string key = {}) {
    StoredMessage message;
    message.id = std::move(id);
    message.sender = std::move(sender);
    message.client = "trust-epr";
    message.idempotency_key = std::move(key);
    message.received_at = "2026-11-23T05:30:00.123Z";
    message.source_format = "fhir";
    message.content_type = "application/fhir+json";
    message.payload = R"({"resourceType":"Bundle"})";
    message.canonical = R"({"schema":"partnership-referral/1"})";
    message.outcome = R"({"resourceType":"OperationOutcome","issue":[]})";
    message.nhs_number = "9990000085";
    message.referral_id = "REF-1";
    return message;
}

WriteSet write_set_of(std::vector<StoredMessage> messages) {
    WriteSet writes;
    writes.messages = std::move(messages);
    return writes;
}

// Commits and hands back the result as a future.
std::future<CommitResult> commit_async(Store& store, WriteSet writes) {
    auto promise = std::make_shared<std::promise<CommitResult>>();
    auto future = promise->get_future();
    store.commit(std::move(writes), [promise](CommitResult result) { promise->set_value(std::move(result)); });
    return future;
}

CommitResult commit_and_wait(Store& store, WriteSet writes) { return commit_async(store, std::move(writes)).get(); }

// Queries the file with SQLite itself, not through the store under test.
std::int64_t query_count(const fs::path& database, const std::string& sql, const std::string& parameter = {}) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    if (!parameter.empty()) sqlite3_bind_text(statement, 1, parameter.c_str(), -1, SQLITE_TRANSIENT);
    std::int64_t value = -1;
    if (sqlite3_step(statement) == SQLITE_ROW) value = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return value;
}

std::string query_text(const fs::path& database, const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::string value;
    if (sqlite3_step(statement) == SQLITE_ROW) value = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return value;
}

void execute_sql(const fs::path& database, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
}

// ---- the same suite against both backends ------------------------------------
// Behaviour every store must have runs once on SQLite and once on a fresh
// database of a real PostgreSQL server (support/postgres_server.hpp); what is
// SQLite's alone (its file, its directory, its crash test) stays below as
// plain tests.

enum class Backend { sqlite, postgresql };

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
    return info.param == Backend::sqlite ? "Sqlite" : "Postgresql";
}

// The options both backends share.
struct StoreTweaks {
    CommitObserver observer;
    std::size_t max_batch = 512;
    std::size_t max_queue = 65536;
    std::size_t read_connections = 4;
};

class StoreTest : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        if (!postgresql()) return;
        std::string error;
        auto* server = carebridge::testing::shared_postgres(error);
        // Not a skip: install-deps.sh installs PostgreSQL, so a server that
        // cannot start is a broken machine and must be seen.
        ASSERT_TRUE(server) << "PostgreSQL must start for the PostgreSQL store's tests: " << error;
        url_ = server->fresh_database(error);
        ASSERT_TRUE(error.empty()) << error;
    }

    bool postgresql() const { return GetParam() == Backend::postgresql; }

    std::unique_ptr<Store> open(const StoreTweaks& tweaks = {}) {
        std::error_code error;
        std::string message;
        std::unique_ptr<Store> store;
        if (postgresql()) {
            PostgresqlOptions options;
            options.url = url_;
            options.audit_signing_key = (dir_.path() / "audit-signing-key.pem").string();
            options.observer = tweaks.observer;
            options.max_batch = tweaks.max_batch;
            options.max_queue = tweaks.max_queue;
            options.read_connections = tweaks.read_connections;
            store = open_postgresql_store(options, error, message);
        } else {
            SqliteOptions options = options_for(dir_);
            options.observer = tweaks.observer;
            options.max_batch = tweaks.max_batch;
            options.max_queue = tweaks.max_queue;
            options.read_connections = tweaks.read_connections;
            store = open_sqlite_store(options, error, message);
        }
        EXPECT_TRUE(store) << error.message() << ": " << message;
        EXPECT_FALSE(error);
        return store;
    }

    // One number from the database itself, not through the store under
    // test; `sql` writes its parameter as $1, which both understand.
    std::int64_t count(const std::string& sql, const std::string& parameter = {}) {
        if (!postgresql()) return query_count(dir_.database(), sql, parameter);
        std::string error;
        const std::string text = carebridge::testing::postgres_query(url_, sql, error, parameter);
        EXPECT_TRUE(error.empty()) << error;
        return text.empty() ? -1 : std::stoll(text);
    }

    TempDir dir_;
    std::string url_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values(Backend::sqlite, Backend::postgresql), backend_name);

TEST(SqliteStore, OpeningCreatesAnOwnerOnlyDirectoryAndFileInWalModeAtTheLatestSchema) {
    TempDir dir;
    auto store = open_store(options_for(dir));
    ASSERT_TRUE(store);
    EXPECT_TRUE(store->ready());

    EXPECT_EQ(fs::status(dir.data()).permissions() & fs::perms::all, fs::perms::owner_all);
    ASSERT_TRUE(fs::exists(dir.database()));
    EXPECT_EQ(fs::status(dir.database()).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);

    EXPECT_EQ(query_text(dir.database(), "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(query_count(dir.database(), "SELECT max(version) FROM schema_migrations"), sqlite_schema_version());
    EXPECT_EQ(
        query_count(dir.database(), "SELECT count(*) FROM schema_migrations WHERE applied_at LIKE '____-__-__T%Z'"),
        sqlite_schema_version());
    EXPECT_EQ(query_count(dir.database(), "SELECT count(*) FROM messages"), 0);
    EXPECT_EQ(query_count(dir.database(),
                          "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' "
                          "AND (sql LIKE '%(nhs_number)%' OR sql LIKE '%(received_at)%')"),
              2);
}

TEST_P(StoreTest, EveryFieldRoundTripsIncludingAPayloadWithNulBytes) {
    auto store = open();
    ASSERT_TRUE(store);

    StoredMessage sent = message_with("0b5c3f4e-6a1d-4c8e-9f2a-1d2e3f4a5b6c", "trust", "key-1");
    sent.payload = std::string("<?xml?>\0middle\0\xff\xfe end", 22);
    sent.canonical = R"({"person":{"name":"Zoë Ní Bhriain"}})";  // UTF-8 kept byte for byte
    sent.content_type = "application/xml; charset=utf-8";
    sent.source_format = "carenotes";
    CommitResult result = commit_and_wait(*store, write_set_of({sent}));
    ASSERT_FALSE(result.error) << result.error_message;
    ASSERT_EQ(result.messages.size(), 1u);
    EXPECT_EQ(result.messages[0].id, sent.id);
    EXPECT_FALSE(result.messages[0].duplicate);

    std::error_code error;
    std::optional<StoredMessage> found = store->find_message(sent.id, error);
    ASSERT_FALSE(error);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, sent.id);
    EXPECT_EQ(found->sender, sent.sender);
    EXPECT_EQ(found->client, sent.client);
    EXPECT_EQ(found->idempotency_key, sent.idempotency_key);
    EXPECT_EQ(found->received_at, sent.received_at);
    EXPECT_EQ(found->source_format, sent.source_format);
    EXPECT_EQ(found->content_type, sent.content_type);
    EXPECT_EQ(found->payload.size(), 22u);
    EXPECT_EQ(found->payload, sent.payload);
    EXPECT_EQ(found->canonical, sent.canonical);
    EXPECT_EQ(found->outcome, sent.outcome);
    EXPECT_EQ(found->nhs_number, sent.nhs_number);
    EXPECT_EQ(found->referral_id, sent.referral_id);
    EXPECT_EQ(count("SELECT length(payload) FROM messages WHERE id = $1", sent.id), 22);

    EXPECT_FALSE(store->find_message("no-such-id", error));
    EXPECT_FALSE(error);
}

TEST_P(StoreTest, AbsentOptionalFieldsAreStoredAsNullAndReadBackEmpty) {
    auto store = open();
    ASSERT_TRUE(store);
    StoredMessage sent = message_with("m-1");
    sent.nhs_number.clear();
    sent.referral_id.clear();
    sent.payload.clear();
    ASSERT_FALSE(commit_and_wait(*store, write_set_of({sent})).error);

    std::error_code error;
    auto found = store->find_message("m-1", error);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->idempotency_key, "");
    EXPECT_EQ(found->nhs_number, "");
    EXPECT_EQ(found->referral_id, "");
    EXPECT_EQ(found->payload, "");
    EXPECT_EQ(count("SELECT count(*) FROM messages WHERE idempotency_key IS NULL AND nhs_number IS NULL "
                          "AND referral_id IS NULL AND payload IS NOT NULL"),
              1);
}

TEST_P(StoreTest, ReopeningKeepsTheData) {
    {
        auto store = open();
        ASSERT_TRUE(store);
        ASSERT_FALSE(commit_and_wait(*store, write_set_of({message_with("kept-1"), message_with("kept-2")})).error);
    }
    auto store = open();
    ASSERT_TRUE(store);
    std::error_code error;
    EXPECT_TRUE(store->find_message("kept-1", error));
    EXPECT_TRUE(store->find_message("kept-2", error));
    EXPECT_FALSE(error);
    if (postgresql())
        EXPECT_EQ(count("SELECT count(*) FROM schema_version"), postgresql_schema_version());
    else
        EXPECT_EQ(count("SELECT count(*) FROM schema_migrations"), sqlite_schema_version());
}

TEST_P(StoreTest, ARepeatedIdempotencyKeyGetsTheOriginalIdAndOutcome) {
    auto store = open();
    ASSERT_TRUE(store);
    StoredMessage original = message_with("original", "trust", "submit-42");
    original.outcome = R"({"resourceType":"OperationOutcome","issue":[{"severity":"warning"}]})";
    ASSERT_FALSE(commit_and_wait(*store, write_set_of({original})).error);

    StoredMessage repeat = message_with("repeat", "trust", "submit-42");
    repeat.outcome = "{}";
    CommitResult result = commit_and_wait(*store, write_set_of({repeat}));
    ASSERT_FALSE(result.error) << result.error_message;
    ASSERT_EQ(result.messages.size(), 1u);
    EXPECT_TRUE(result.messages[0].duplicate);
    EXPECT_EQ(result.messages[0].id, "original");
    EXPECT_EQ(result.messages[0].outcome, original.outcome);

    std::error_code error;
    EXPECT_FALSE(store->find_message("repeat", error));
    EXPECT_EQ(count("SELECT count(*) FROM messages WHERE idempotency_key = $1", "submit-42"), 1);
}

TEST_P(StoreTest, ARepeatedKeyInsideOneTransactionStoresOneRow) {
    CommitCounts counts;
    StoreTweaks options;
    options.observer = counts.observer();
    auto store = open(options);
    ASSERT_TRUE(store);

    Gate gate;
    store->commit(write_set_of({message_with("first-batch")}), gate.hold());
    gate.wait_until_held();
    StoredMessage first = message_with("first", "trust", "same-key");
    first.outcome = "first's outcome";
    auto first_result = commit_async(*store, write_set_of({first}));
    auto second_result = commit_async(*store, write_set_of({message_with("second", "trust", "same-key")}));
    gate.open();

    CommitResult stored = first_result.get();
    CommitResult repeated = second_result.get();
    ASSERT_FALSE(stored.error) << stored.error_message;
    ASSERT_FALSE(repeated.error) << repeated.error_message;
    EXPECT_FALSE(stored.messages[0].duplicate);
    EXPECT_TRUE(repeated.messages[0].duplicate);
    EXPECT_EQ(repeated.messages[0].id, "first");
    EXPECT_EQ(repeated.messages[0].outcome, "first's outcome");
    EXPECT_EQ(count("SELECT count(*) FROM messages WHERE idempotency_key = $1", "same-key"), 1);

    store->close();
    EXPECT_EQ(counts.transactions.load(), 2u);  // the held one, then both repeats together
    EXPECT_EQ(counts.largest.load(), 2u);
}

TEST_P(StoreTest, DifferentSendersMayUseTheSameKey) {
    auto store = open();
    ASSERT_TRUE(store);
    CommitResult trust = commit_and_wait(*store, write_set_of({message_with("from-trust", "trust", "k-1")}));
    CommitResult council = commit_and_wait(*store, write_set_of({message_with("from-council", "council", "k-1")}));
    ASSERT_FALSE(trust.error);
    ASSERT_FALSE(council.error);
    EXPECT_FALSE(council.messages[0].duplicate);
    EXPECT_EQ(council.messages[0].id, "from-council");
    EXPECT_EQ(count("SELECT count(*) FROM messages WHERE idempotency_key = $1", "k-1"), 2);
}

TEST_P(StoreTest, AFailingWriteSetRollsBackAloneAndTheOthersInItsTransactionCommit) {
    CommitCounts counts;
    StoreTweaks options;
    options.observer = counts.observer();
    auto store = open(options);
    ASSERT_TRUE(store);

    Gate gate;
    store->commit(write_set_of({message_with("held")}), gate.hold());
    gate.wait_until_held();
    auto before = commit_async(*store, write_set_of({message_with("before")}));
    // All or nothing: "half" is stored only if its partner is, and the
    // partner's id is taken.
    auto failing = commit_async(*store, write_set_of({message_with("half"), message_with("before")}));
    auto after = commit_async(*store, write_set_of({message_with("after")}));
    gate.open();

    EXPECT_FALSE(before.get().error);
    CommitResult failed = failing.get();
    EXPECT_FALSE(after.get().error);
    ASSERT_TRUE(failed.error);
    if (postgresql()) {
        EXPECT_EQ(failed.error.category(), postgresql_category());
        EXPECT_EQ(failed.error.value(), sqlstate_code(unique_violation));
        EXPECT_NE(failed.error_message.find("message 2 of 2"), std::string::npos) << failed.error_message;
        EXPECT_NE(failed.error_message.find("messages_id_key"), std::string::npos) << failed.error_message;
    } else {
        EXPECT_EQ(failed.error.category(), sqlite_category());
        EXPECT_EQ(failed.error.value() & 0xff, SQLITE_CONSTRAINT);
        EXPECT_NE(failed.error_message.find("message 2 of 2"), std::string::npos) << failed.error_message;
        EXPECT_NE(failed.error_message.find("messages.id"), std::string::npos) << failed.error_message;
    }
    EXPECT_TRUE(failed.messages.empty());

    std::error_code error;
    EXPECT_FALSE(store->find_message("half", error));
    EXPECT_TRUE(store->find_message("before", error));
    EXPECT_TRUE(store->find_message("after", error));
    EXPECT_TRUE(store->ready());  // a write set's own failure is not the store's
    store->close();
    EXPECT_EQ(counts.largest.load(), 3u);
}

// An escalation (http/status_api) fires its timer in the write set that
// records it: a second firing, or one after the referral was taken on, is
// refused whole, so the history step and audit entry it carries are not stored.
TEST_P(StoreTest, AnEscalationTimerFiresOnceAndNotAfterItWasEnded) {
    auto store = open();
    ASSERT_TRUE(store);
    WriteSet routed = write_set_of({message_with("red-1"), message_with("red-2")});
    routed.escalation_timers = {{"red-1", "2026-11-23T09:30:00.000Z"}, {"red-2", "2026-11-23T09:30:00.000Z"}};
    ASSERT_FALSE(commit_and_wait(*store, std::move(routed)).error);
    std::error_code error;
    EXPECT_EQ(store->due_escalation_timers("2026-11-23T09:30:00.000Z", 10, error).size(), 2u);

    const auto escalation = [](const std::string& id) {
        WriteSet writes;
        writes.escalation_timers_fired.push_back(id);
        HistoryEntry step;
        step.message_id = id;
        step.organisation = "gateway";
        step.status = "escalated";
        writes.history.push_back(step);
        return writes;
    };
    ASSERT_FALSE(commit_and_wait(*store, escalation("red-1")).error);
    const CommitResult again = commit_and_wait(*store, escalation("red-1"));
    EXPECT_EQ(again.error, StoreErrc::escalation_not_pending) << again.error_message;
    EXPECT_EQ(store->referral_history("red-1", error).size(), 1u);

    // red-2 is taken on (its timer ended) before its escalation commits.
    WriteSet taken;
    taken.escalation_timers_done.push_back("red-2");
    ASSERT_FALSE(commit_and_wait(*store, std::move(taken)).error);
    EXPECT_EQ(commit_and_wait(*store, escalation("red-2")).error, StoreErrc::escalation_not_pending);
    EXPECT_TRUE(store->referral_history("red-2", error).empty());
    EXPECT_TRUE(store->due_escalation_timers("2026-11-23T10:00:00.000Z", 10, error).empty());
    EXPECT_TRUE(store->ready());  // a refused firing is not the store failing
    store->close();
}

// The triage queue: an item is stored with its message, a resend under the
// same key adds none, the list pages by seq and filters by state, and an
// item can be disposed of once only.
TEST_P(StoreTest, ATriageItemIsStoredWithItsMessageOnceAndDisposedOfOnce) {
    auto store = open();
    ASSERT_TRUE(store);
    const auto triaged = [](std::string id, std::string key) {
        WriteSet writes = write_set_of({message_with(id, "trust", std::move(key))});
        TriageItem item;
        item.message_id = id;
        item.kind = "unknown_organisation";
        item.reason = "no organisation 'RXX' in the directory";
        writes.triage.push_back(item);
        HistoryEntry step;
        step.message_id = id;
        step.organisation = "gateway";
        step.status = "triage";
        writes.history.push_back(step);
        return writes;
    };
    ASSERT_FALSE(commit_and_wait(*store, triaged("t-1", "key-1")).error);
    ASSERT_FALSE(commit_and_wait(*store, triaged("t-2", "key-2")).error);
    // A resend of t-1: the original's item and history stand, nothing is added.
    const CommitResult resent = commit_and_wait(*store, triaged("t-3", "key-1"));
    ASSERT_FALSE(resent.error) << resent.error_message;
    ASSERT_EQ(resent.messages.size(), 1u);
    EXPECT_TRUE(resent.messages[0].duplicate);
    EXPECT_EQ(resent.messages[0].id, "t-1");
    EXPECT_EQ(count("SELECT count(*) FROM triage"), 2);
    std::error_code error;
    EXPECT_EQ(store->referral_history("t-1", error).size(), 1u);

    auto all = store->find_triage_items({}, error);
    ASSERT_FALSE(error);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].message_id, "t-1");
    EXPECT_EQ(all[0].kind, "unknown_organisation");
    EXPECT_EQ(all[0].reason, "no organisation 'RXX' in the directory");
    EXPECT_EQ(all[0].state, TriageState::open);
    EXPECT_EQ(all[0].sender, "trust");
    EXPECT_EQ(all[0].referral_id, "REF-1");
    EXPECT_EQ(all[0].received_at, "2026-11-23T05:30:00.123Z");
    EXPECT_EQ(all[0].created_at.size(), 24u);
    EXPECT_LT(all[0].seq, all[1].seq);
    TriageQuery next;
    next.after_seq = all[0].seq;
    next.limit = 1;
    auto page = store->find_triage_items(next, error);
    ASSERT_EQ(page.size(), 1u);
    EXPECT_EQ(page[0].message_id, "t-2");

    // Returned once; a second step on it refuses the whole write set.
    WriteSet returned;
    returned.triage_updates.push_back({"t-1", TriageState::returned, "", "", "please give the GP practice"});
    HistoryEntry step;
    step.message_id = "t-1";
    step.organisation = "gateway";
    step.status = "returned";
    returned.history.push_back(step);
    ASSERT_FALSE(commit_and_wait(*store, returned).error);
    const CommitResult twice = commit_and_wait(*store, returned);
    EXPECT_EQ(twice.error, StoreErrc::triage_not_open) << twice.error_message;
    EXPECT_EQ(store->referral_history("t-1", error).size(), 2u);  // the refused step added nothing
    WriteSet unknown;
    unknown.triage_updates.push_back({"nothing-here", TriageState::rerouted, "befriend", "befriending", ""});
    EXPECT_EQ(commit_and_wait(*store, std::move(unknown)).error, StoreErrc::triage_not_open);

    const auto item = store->find_triage_item("t-1", error);
    ASSERT_TRUE(item);
    EXPECT_EQ(item->state, TriageState::returned);
    EXPECT_EQ(item->return_reason, "please give the GP practice");
    EXPECT_FALSE(store->find_triage_item("t-9", error));
    EXPECT_FALSE(error);
    TriageQuery open_only;
    open_only.state = TriageState::open;
    auto open_items = store->find_triage_items(open_only, error);
    ASSERT_EQ(open_items.size(), 1u);
    EXPECT_EQ(open_items[0].message_id, "t-2");
    EXPECT_TRUE(store->ready());
    store->close();
}

TEST_P(StoreTest, ManyThreadsCommittingAtOnceAreGroupedIntoFewerTransactions) {
    constexpr int threads = 16;
    constexpr int per_thread = 200;
    CommitCounts counts;
    StoreTweaks options;
    options.observer = counts.observer();
    auto store = open(options);
    ASSERT_TRUE(store);

    // The writer waits in the first callback until every thread has queued,
    // so grouping is certain rather than a matter of timing.
    Gate gate;
    store->commit(write_set_of({message_with("opening")}), gate.hold());
    gate.wait_until_held();

    std::mutex mutex;
    std::condition_variable all_done;
    int succeeded = 0;
    int failed = 0;
    std::vector<std::thread> submitters;
    for (int t = 0; t < threads; ++t) {
        submitters.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
                store->commit(write_set_of({message_with(id, "trust", "key-" + id)}), [&](CommitResult result) {
                    std::lock_guard lock(mutex);
                    (result.error ? failed : succeeded) += 1;
                    all_done.notify_all();
                });
            }
        });
    }
    for (auto& submitter : submitters) submitter.join();
    gate.open();
    {
        std::unique_lock lock(mutex);
        all_done.wait(lock, [&] { return succeeded + failed == threads * per_thread; });
    }
    EXPECT_EQ(failed, 0);
    store->close();

    EXPECT_EQ(count("SELECT count(*) FROM messages"), threads * per_thread + 1);
    EXPECT_EQ(counts.write_sets.load(), static_cast<std::size_t>(threads * per_thread + 1));
    EXPECT_LT(counts.transactions.load(), counts.write_sets.load());
    EXPECT_LE(counts.largest.load(), options.max_batch);
}

TEST_P(StoreTest, ConcurrentReadersFindWhatWasCommitted) {
    StoreTweaks options;
    options.read_connections = 2;
    auto store = open(options);
    ASSERT_TRUE(store);
    for (int i = 0; i < 20; ++i) {
        ASSERT_FALSE(commit_and_wait(*store, write_set_of({message_with("read-" + std::to_string(i))})).error);
    }
    std::atomic<int> found{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 8; ++t) {
        readers.emplace_back([&] {
            for (int i = 0; i < 20; ++i) {
                std::error_code error;
                if (store->find_message("read-" + std::to_string(i), error) && !error) ++found;
            }
        });
    }
    for (auto& reader : readers) reader.join();
    EXPECT_EQ(found.load(), 8 * 20);
}

TEST_P(StoreTest, PastMaxQueueACommitFailsAtOnce) {
    StoreTweaks options;
    options.max_queue = 4;
    auto store = open(options);
    ASSERT_TRUE(store);

    Gate gate;
    store->commit(write_set_of({message_with("held")}), gate.hold());
    gate.wait_until_held();  // taken off the queue: the queue is empty again
    std::vector<std::future<CommitResult>> queued;
    for (int i = 0; i < 4; ++i)
        queued.push_back(commit_async(*store, write_set_of({message_with("q" + std::to_string(i))})));

    bool called = false;
    CommitResult refused;
    store->commit(write_set_of({message_with("one-too-many")}), [&](CommitResult result) {
        called = true;
        refused = std::move(result);
    });
    EXPECT_TRUE(called);  // before commit() returned, on this thread
    EXPECT_EQ(refused.error, std::errc::resource_unavailable_try_again);
    EXPECT_FALSE(refused.error_message.empty());

    gate.open();
    for (auto& result : queued) EXPECT_FALSE(result.get().error);
    std::error_code error;
    EXPECT_FALSE(store->find_message("one-too-many", error));
}

TEST(SqliteStore, ADatabaseFromANewerCarebridgeIsRefused) {
    TempDir dir;
    {
        auto store = open_store(options_for(dir));
        ASSERT_TRUE(store);
    }
    const int newer = sqlite_schema_version() + 1;
    execute_sql(dir.database(), "INSERT INTO schema_migrations (version, applied_at) VALUES (" + std::to_string(newer) +
                                    ", '2027-01-01T00:00:00Z')");

    std::error_code error;
    std::string message;
    auto store = open_sqlite_store(options_for(dir), error, message);
    EXPECT_FALSE(store);
    EXPECT_EQ(error, StoreErrc::schema_too_new);
    EXPECT_EQ(error.category().name(), std::string("carebridge.store"));
    EXPECT_NE(message.find("schema version " + std::to_string(newer)), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
    EXPECT_EQ(query_count(dir.database(), "SELECT max(version) FROM schema_migrations"), newer);  // left as found
}

TEST(SqliteStore, AFileThatIsNotADatabaseIsRefusedWithItsName) {
    TempDir dir;
    fs::create_directories(dir.data());
    std::ofstream(dir.database()) << "this is not a SQLite database, it is a text file long enough to have a header";
    std::error_code error;
    std::string message;
    EXPECT_FALSE(open_sqlite_store(options_for(dir), error, message));
    EXPECT_TRUE(error);
    EXPECT_NE(message.find("carebridge.sqlite"), std::string::npos) << message;
}

TEST(SqliteStore, ADirectoryThatCannotBeCreatedIsRefused) {
    TempDir dir;
    std::ofstream(dir.path() / "a-file") << "x";
    SqliteOptions options;
    options.directory = (dir.path() / "a-file" / "data").string();
    std::error_code error;
    std::string message;
    EXPECT_FALSE(open_sqlite_store(options, error, message));
    EXPECT_TRUE(error);
    EXPECT_FALSE(message.empty());
}

TEST_P(StoreTest, CloseCommitsEverythingQueuedAndLaterCommitsFailAtOnce) {
    auto store = open();
    ASSERT_TRUE(store);
    std::atomic<int> succeeded{0};
    for (int i = 0; i < 100; ++i) {
        store->commit(write_set_of({message_with("pending-" + std::to_string(i))}), [&](CommitResult result) {
            if (!result.error) ++succeeded;
        });
    }
    store->close();
    EXPECT_EQ(succeeded.load(), 100);  // every callback ran before close() returned
    EXPECT_FALSE(store->ready());

    bool called = false;
    store->commit(write_set_of({message_with("too-late")}), [&](CommitResult result) {
        called = true;
        EXPECT_EQ(result.error, StoreErrc::closed);
    });
    EXPECT_TRUE(called);
    store->close();  // idempotent
    store.reset();

    EXPECT_EQ(count("SELECT count(*) FROM messages"), 100);
}

// A child process commits in a loop and reports each id once its callback
// says it is durable; the parent kills it with SIGKILL mid-stream and checks
// that every acknowledged message is in the file exactly once.
[[noreturn]] void commit_until_killed(const fs::path& directory, int ack_fd) {
    SqliteOptions options;
    options.directory = directory.string();
    std::error_code error;
    std::string message;
    auto store = open_sqlite_store(options, error, message);
    if (!store) ::_exit(2);
    std::counting_semaphore<1024> in_flight(256);  // stay well under max_queue
    for (long n = 0; n < 10'000'000; ++n) {
        in_flight.acquire();
        const std::string id = "crash-" + std::to_string(n);
        store->commit(write_set_of({message_with(id, "trust", "key-" + id)}), [&, id](CommitResult result) {
            if (!result.error) {
                const std::string line = id + "\n";  // under PIPE_BUF: one write is atomic
                if (::write(ack_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(3);
            }
            in_flight.release();
        });
    }
    ::_exit(0);
}

// Kills and reaps the child however the test ends.
struct ChildProcess {
    pid_t pid;
    ~ChildProcess() {
        if (pid <= 0) return;
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
};

TEST(SqliteStoreCrash, EveryAcknowledgedCommitSurvivesKillNine) {
    TempDir dir;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        commit_until_killed(dir.data(), fds[1]);
    }
    ::close(fds[1]);
    ChildProcess reaper{child};

    std::vector<std::string> acknowledged;
    std::string pending;
    char buffer[4096];
    const auto read_acks = [&](std::size_t until) {
        while (acknowledged.size() < until) {
            const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;
            pending.append(buffer, static_cast<std::size_t>(n));
            for (std::size_t end; (end = pending.find('\n')) != std::string::npos; pending.erase(0, end + 1)) {
                acknowledged.push_back(pending.substr(0, end));
            }
        }
    };
    read_acks(200);
    ASSERT_GE(acknowledged.size(), 200u) << "the child stopped early";
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    reaper.pid = -1;
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    read_acks(SIZE_MAX);  // what it acknowledged before it died, up to EOF
    ::close(fds[0]);
    EXPECT_TRUE(pending.empty());  // no torn line

    auto store = open_store(options_for(dir));
    ASSERT_TRUE(store);
    EXPECT_TRUE(store->ready());
    EXPECT_EQ(query_text(dir.database(), "PRAGMA integrity_check"), "ok");
    EXPECT_EQ(std::set<std::string>(acknowledged.begin(), acknowledged.end()).size(), acknowledged.size());
    for (const std::string& id : acknowledged) {
        EXPECT_EQ(query_count(dir.database(), "SELECT count(*) FROM messages WHERE id = ?", id), 1) << id;
    }
    std::error_code error;
    EXPECT_TRUE(store->find_message(acknowledged.back(), error));
    EXPECT_GE(query_count(dir.database(), "SELECT count(*) FROM messages"),
              static_cast<std::int64_t>(acknowledged.size()));
}

}  // namespace
