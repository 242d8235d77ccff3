// The embedded store: one SQLite file in WAL mode, one writer thread that
// groups queued write sets into a transaction each, and a pool of read-only
// connections that read beside it.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <new>
#include <thread>
#include <utility>

#include "audit/checkpoint.hpp"
#include "sqlite_audit.hpp"
#include "sqlite_connection.hpp"
#include "sqlite_outbox.hpp"
#include "sqlite_schema.hpp"
#include "store.hpp"
#include "sqlite_retention.hpp"
#include "store_error.hpp"
#include "audit/detail.hpp"

namespace carebridge::gateway::store {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* database_file = "carebridge.sqlite";
constexpr int busy_timeout_ms = 5000;           // a backup or the sqlite3 shell may hold the lock for a moment
constexpr std::size_t largest_batch = 1 << 16;  // the batch vector is reserved whole at open

constexpr std::string_view insert_message_sql = R"sql(
INSERT INTO messages (id, sender, client, idempotency_key, received_at, source_format, content_type,
                      payload, canonical, outcome, nhs_number, referral_id)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT (sender, idempotency_key) DO NOTHING
)sql";

constexpr std::string_view find_original_sql =
    "SELECT id, outcome FROM messages WHERE sender = ?1 AND idempotency_key = ?2";

constexpr std::string_view find_message_sql = R"sql(
SELECT id, sender, client, idempotency_key, received_at, source_format, content_type,
       payload, canonical, outcome, nhs_number, referral_id
FROM messages WHERE id = ?1
)sql";

std::error_code last_error(sqlite3* db) { return sqlite_error(sqlite3_extended_errcode(db)); }

// Runs a done callback; one that throws must not take the writer down with it.
void finish(const Store::Done& done, CommitResult result) noexcept {
    if (!done) return;
    try {
        done(std::move(result));
    } catch (...) {
    }
}

CommitResult failure(std::error_code error, std::string message) noexcept {
    CommitResult result;
    result.error = error;
    result.error_message = std::move(message);
    return result;
}

// Creates the directory owner-only: it will hold patient records.
std::error_code prepare_directory(const std::string& directory, std::string& message) {
    namespace fs = std::filesystem;
    std::error_code error;
    if (directory.empty()) {
        message = "the store's directory is not set";
        return StoreErrc::bad_directory;
    }
    if (!fs::exists(directory, error) && !error) {
        if (fs::create_directories(directory, error); !error) {
            fs::permissions(directory, fs::perms::owner_all, fs::perm_options::replace, error);
        }
    }
    if (!error && !fs::is_directory(directory, error) && !error) {
        message = "the store's directory " + directory + " is not a directory";
        return StoreErrc::bad_directory;
    }
    if (error) message = "cannot create the store's directory " + directory + ": " + error.message();
    return error;
}

// SQLite would create the file with the umask's permissions (often 0644);
// made here first it is owner-only, and the -wal and -shm files copy its mode.
std::error_code create_owner_only(const std::string& path, std::string& message) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        std::error_code error(errno, std::generic_category());
        message = "cannot create " + path + ": " + error.message();
        return error;
    }
    ::close(fd);
    return {};
}

struct PendingCommit {
    WriteSet writes;
    Store::Done done;
};

// A read-only connection with its statements prepared once.
struct Reader {
    Connection db;
    Statement find_message;
    Statement ping;
    AuditReads audit;
};

class SqliteStore final : public Store {
public:
    static std::unique_ptr<Store> open(const SqliteOptions& options, std::error_code& error, std::string& message);

    ~SqliteStore() override { close(); }

    void commit(WriteSet writes, Done done) override;
    std::optional<StoredMessage> find_message(std::string_view id, std::error_code& error) override;
    std::vector<HistoryEntry> referral_history(std::string_view message_id, std::error_code& error) override;
    std::vector<EscalationTimer> due_escalation_timers(std::string_view now, std::size_t limit,
                                                       std::error_code& error) override;
    std::vector<std::string> message_recipients(std::string_view message_id, std::error_code& error) override;
    std::vector<audit::AuditEntry> find_audit_entries(const audit::AuditQuery& query, std::error_code& error) override;
    std::optional<audit::Checkpoint> latest_audit_checkpoint(std::error_code& error) override;
    std::optional<audit::Checkpoint> audit_checkpoint_at(std::uint64_t tree_size, std::error_code& error) override;
    std::vector<audit::Hash> audit_leaf_hashes(std::uint64_t first_seq, std::uint64_t last_seq,
                                               std::error_code& error) override;
    const audit::PublicKey& audit_public_key() const override { return audit_.public_key(); }
    std::vector<OutboxItem> due_outbox_items(std::chrono::system_clock::time_point now, std::size_t limit,
                                             std::error_code& error) override;
    std::optional<std::chrono::system_clock::time_point> next_outbox_attempt(std::error_code& error) override;
    std::vector<OutboxItem> find_outbox_items(const OutboxQuery& query, std::error_code& error) override;
    std::uint64_t count_outbox_items(const OutboxQuery& query, std::error_code& error) override;
    std::optional<OutboxItem> find_outbox_item(std::string_view id, std::error_code& error) override;
    bool ready() override;
    void close() override;

private:
    explicit SqliteStore(const SqliteOptions& options) : options_(options) {
        options_.max_batch = std::clamp<std::size_t>(options_.max_batch, 1, largest_batch);
        options_.read_connections = std::max<std::size_t>(options_.read_connections, 1);
    }

    std::error_code open_writer(const std::string& path, std::shared_ptr<const audit::SigningKey> audit_key,
                                std::string& message);
    std::error_code open_readers(const std::string& path, std::string& message);

    void write_loop();
    void commit_batch(std::vector<PendingCommit>& batch);
    void abandon_batch(std::vector<PendingCommit>& batch) noexcept;
    // Applies one write set inside its own savepoint. `transaction_lost` is set
    // when SQLite abandoned the whole transaction (an I/O error, a full disk).
    CommitResult apply(const WriteSet& writes, bool& transaction_lost);
    std::error_code insert_history(const std::vector<HistoryEntry>& history, std::string& message);
    std::error_code set_escalation_timers(const WriteSet& writes, const std::vector<std::string_view>& repeated,
                                          std::string& message);
    std::error_code insert(const StoredMessage& message, MessageResult& result);
    bool run(Statement& statement);

    // Lends a reader for one query; waits while all are busy.
    class ReaderLease {
    public:
        ReaderLease(SqliteStore& store, Reader& reader) : store_(store), reader_(reader) {}
        ~ReaderLease() { store_.return_reader(reader_); }
        ReaderLease(const ReaderLease&) = delete;
        ReaderLease& operator=(const ReaderLease&) = delete;
        Reader* operator->() { return &reader_; }

    private:
        SqliteStore& store_;
        Reader& reader_;
    };
    ReaderLease lease_reader();
    void return_reader(Reader& reader);

    SqliteOptions options_;

    // Members are destroyed in reverse order: each statement before the
    // connection it belongs to.
    Connection writer_db_;
    Statement begin_, commit_, rollback_, savepoint_, release_, rollback_to_;
    Statement insert_message_, find_original_;
    AuditAppender audit_;  // the audit log's chain head and statements, on the writer's connection
    OutboxWriter outbox_;  // the outbox's statements, on the writer's connection

    std::vector<std::unique_ptr<Reader>> readers_;
    std::vector<Reader*> idle_readers_;
    std::mutex readers_mutex_;
    std::condition_variable reader_returned_;

    std::mutex queue_mutex_;
    std::condition_variable queue_changed_;
    std::deque<PendingCommit> queue_;
    bool closing_ = false;  // guarded by queue_mutex_: no more commits; the writer drains and stops

    std::atomic<bool> last_commit_failed_{false};
    std::vector<PendingCommit> batch_;  // the writer's alone; reserved at open so taking a batch cannot fail
    std::mutex close_mutex_;            // one close() joins the writer; another waits for it
    std::thread writer_;
    std::thread::id writer_id_;  // set before the store is shared; read without a lock
};

std::unique_ptr<Store> SqliteStore::open(const SqliteOptions& options, std::error_code& error, std::string& message) {
    error.clear();
    message.clear();
    try {
        if ((error = prepare_directory(options.directory, message))) return nullptr;
        const std::string path = (std::filesystem::path(options.directory) / database_file).string();
        if ((error = create_owner_only(path, message))) return nullptr;

        // The audit log's signing key lives beside the database it vouches for.
        const std::string key_path = options.audit_signing_key.empty()
                                         ? (std::filesystem::path(options.directory) / audit::signing_key_file).string()
                                         : options.audit_signing_key;
        auto audit_key = audit::SigningKey::load_or_create(key_path, message);
        if (!audit_key) {
            error = std::make_error_code(std::errc::io_error);
            return nullptr;
        }

        std::unique_ptr<SqliteStore> store(new SqliteStore(options));
        if ((error = store->open_writer(path, std::move(audit_key), message))) return nullptr;
        if ((error = store->open_readers(path, message))) return nullptr;
        store->batch_.reserve(store->options_.max_batch);
        store->writer_ = std::thread([raw = store.get()] { raw->write_loop(); });
        store->writer_id_ = store->writer_.get_id();
        return store;
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        message = "out of memory opening the store";
    } catch (const std::system_error& e) {  // the writer thread could not start
        error = e.code();
        message = "cannot start the store's writer thread";
    }
    return nullptr;
}

std::error_code SqliteStore::open_writer(const std::string& path, std::shared_ptr<const audit::SigningKey> audit_key,
                                         std::string& message) {
    std::error_code error;
    writer_db_ =
        open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, error, message);
    if (error) return error;
    sqlite3* db = writer_db_.get();
    sqlite3_busy_timeout(db, busy_timeout_ms);

    // WAL lets readers run beside the writer; FULL syncs the WAL on every
    // commit, so a commit that returned survives a power cut, not only a crash.
    const std::string mode = query_text(db, "PRAGMA journal_mode=WAL", error, message);
    if (error) {
        message = path + ": " + message;  // e.g. "file is not a database"
        return error;
    }
    if (mode != "wal") {
        message = path + " cannot use write-ahead logging (journal mode is " + mode + ")";
        return sqlite_error(SQLITE_CANTOPEN);
    }
    if ((error = execute(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", message))) return error;
    if ((error = migrate(db, message))) {
        message = path + ": " + message;
        return error;
    }

    const auto prepare = [&](Statement& statement, std::string_view sql) {
        if (!error) statement = Statement::prepare(db, sql, error, message);
    };
    prepare(begin_, "BEGIN IMMEDIATE");
    prepare(commit_, "COMMIT");
    prepare(rollback_, "ROLLBACK");
    prepare(savepoint_, "SAVEPOINT write_set");
    prepare(release_, "RELEASE write_set");
    prepare(rollback_to_, "ROLLBACK TO write_set");
    prepare(insert_message_, insert_message_sql);
    prepare(find_original_, find_original_sql);
    if (error) {
        message = "cannot prepare the store's statements: " + message;
        return error;
    }
    if ((error = outbox_.prepare(db, message))) {
        message = "cannot prepare the outbox's statements: " + message;
        return error;
    }
    if ((error = audit_.open(db, std::move(audit_key), message))) message = path + ": " + message;
    return error;
}

std::error_code SqliteStore::open_readers(const std::string& path, std::string& message) {
    std::error_code error;
    for (std::size_t i = 0; i < options_.read_connections; ++i) {
        auto reader = std::make_unique<Reader>();
        reader->db = open_connection(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, error, message);
        if (error) return error;
        sqlite3_busy_timeout(reader->db.get(), busy_timeout_ms);
        reader->find_message = Statement::prepare(reader->db.get(), find_message_sql, error, message);
        if (!error) reader->ping = Statement::prepare(reader->db.get(), "SELECT 1", error, message);
        if (!error) error = reader->audit.prepare(reader->db.get(), message);
        if (error) return error;
        idle_readers_.push_back(reader.get());
        readers_.push_back(std::move(reader));
    }
    return {};
}

void SqliteStore::commit(WriteSet writes, Done done) {
    PendingCommit pending{std::move(writes), std::move(done)};
    CommitResult refusal;
    {
        std::lock_guard lock(queue_mutex_);
        if (closing_) {
            refusal = failure(StoreErrc::closed, "the store is closed");
        } else if (queue_.size() >= options_.max_queue) {
            // Past the bound the disk cannot keep up; refusing now (503) beats
            // holding every request's memory and timing out later.
            refusal = failure(std::make_error_code(std::errc::resource_unavailable_try_again),
                              "the store's queue is full (" + std::to_string(options_.max_queue) + " write sets)");
        } else {
            try {
                queue_.push_back(std::move(pending));
            } catch (const std::bad_alloc&) {
                refusal =
                    failure(std::make_error_code(std::errc::not_enough_memory), "out of memory queueing a commit");
            }
        }
    }
    if (refusal.error) {
        finish(pending.done, std::move(refusal));
        return;
    }
    queue_changed_.notify_one();
}

void SqliteStore::write_loop() {
    for (;;) {
        batch_.clear();
        {
            std::unique_lock lock(queue_mutex_);
            queue_changed_.wait(lock, [this] { return !queue_.empty() || closing_; });
            if (queue_.empty()) return;  // closing, and everything queued is committed
            const std::size_t count = std::min(queue_.size(), options_.max_batch);
            for (std::size_t i = 0; i < count; ++i) {
                batch_.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        try {
            commit_batch(batch_);
        } catch (...) {  // out of memory building results or messages
            abandon_batch(batch_);
        }
    }
}

void SqliteStore::abandon_batch(std::vector<PendingCommit>& batch) noexcept {
    if (!sqlite3_get_autocommit(writer_db_.get())) run(rollback_);
    audit_.rollback_transaction();
    last_commit_failed_.store(true);
    for (PendingCommit& pending : batch) {
        // A short message fits the string's own buffer: no allocation here.
        if (pending.done)
            finish(std::exchange(pending.done, nullptr),
                   failure(std::make_error_code(std::errc::not_enough_memory), "out of memory"));
    }
}

bool SqliteStore::run(Statement& statement) {
    StatementUse use(statement);
    return use->step() == SQLITE_DONE;
}

void SqliteStore::commit_batch(std::vector<PendingCommit>& batch) {
    sqlite3* db = writer_db_.get();
    audit_.begin_transaction();  // first, so every way out can put the audit head back
    const auto started = Clock::now();
    std::vector<CommitResult> results(batch.size());
    std::error_code error;
    std::string message;

    if (!run(begin_)) {
        error = last_error(db);
        message = std::string("cannot begin a transaction: ") + sqlite3_errmsg(db);
    } else {
        for (std::size_t i = 0; i < batch.size() && !error; ++i) {
            bool transaction_lost = false;
            results[i] = apply(batch[i].writes, transaction_lost);
            if (transaction_lost) {
                error = results[i].error ? results[i].error : last_error(db);
                message = "the transaction was abandoned: " + results[i].error_message;
            }
        }
        if (!error && !run(commit_)) {
            error = last_error(db);
            message = std::string("commit failed: ") + sqlite3_errmsg(db);
        }
        if (error && !sqlite3_get_autocommit(db)) run(rollback_);
        if (error) audit_.rollback_transaction();  // the entries' seqs are free again
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
    // Until a commit succeeds again the gateway should not take new work.
    last_commit_failed_.store(static_cast<bool>(error));

    for (std::size_t i = 0; i < batch.size(); ++i) {
        // Taken out first, so a failure halfway through never calls one twice.
        finish(std::exchange(batch[i].done, nullptr), error ? failure(error, message) : std::move(results[i]));
    }
    if (!error && options_.observer.on_commit) {
        try {
            options_.observer.on_commit(elapsed, batch.size());
        } catch (...) {
        }
    }
}

CommitResult SqliteStore::apply(const WriteSet& writes, bool& transaction_lost) {
    sqlite3* db = writer_db_.get();
    CommitResult result;
    if (!run(savepoint_)) {
        transaction_lost = true;
        return failure(last_error(db), std::string("cannot start a savepoint: ") + sqlite3_errmsg(db));
    }
    audit_.begin_write_set();
    result.messages.resize(writes.messages.size());
    for (std::size_t i = 0; i < writes.messages.size(); ++i) {
        if (auto error = insert(writes.messages[i], result.messages[i])) {
            result = failure(error, "message " + std::to_string(i + 1) + " of " +
                                        std::to_string(writes.messages.size()) + ": " + sqlite3_errmsg(db));
            break;
        }
    }
    if (!result.error) {
        // The outbox rows of a message that was a repeat are left out, as its audit events are.
        std::vector<std::string_view> repeated;
        for (std::size_t i = 0; i < writes.messages.size(); ++i)
            if (result.messages[i].duplicate) repeated.push_back(writes.messages[i].id);
        std::string message;
        std::error_code error = outbox_.insert(writes.outbox, repeated, result.outbox_ids, message);
        if (!error) error = outbox_.update(writes.outbox_updates, result.outbox_updated, message);
        if (!error) error = insert_history(writes.history, message);
        if (!error) error = set_escalation_timers(writes, repeated, message);
        if (error) result = failure(error, message);
    }
    std::vector<audit::AuditEvent> purge_events;
    if (!result.error && !writes.purge_payloads_before.empty()) {
        PurgeCounts counts;
        std::string message;
        if (auto error = purge_payloads(db, writes.purge_payloads_before, counts, message)) {
            result = failure(error, message);
        } else {
            result.purged_messages = counts.messages;
            result.purged_outbox_items = counts.outbox_items;
            if (counts.messages + counts.outbox_items > 0) {
                audit::AuditEvent purged;
                purged.action = audit::AuditAction::purged;
                purged.actor_role = "gateway";
                purged.outcome = std::string(audit::outcome::success);
                purged.detail = audit::Detail()
                                    .add("received_before", writes.purge_payloads_before)
                                    .add("messages", counts.messages)
                                    .add("outbox_items", counts.outbox_items)
                                    .text();
                purge_events.push_back(std::move(purged));
            }
        }
    }
    if (!result.error) {
        std::vector<std::string_view> repeated;
        for (std::size_t i = 0; i < writes.messages.size(); ++i)
            if (result.messages[i].duplicate) repeated.push_back(writes.messages[i].id);
        std::string message;
        std::error_code error;
        if (!purge_events.empty()) {
            std::vector<std::uint64_t> purge_seqs;
            error = audit_.append(purge_events, {}, purge_seqs, message);
        }
        if (!error) error = audit_.append(writes.audit, repeated, result.audit_seqs, message);
        if (!error && writes.sign_audit_checkpoint) error = audit_.sign_checkpoint(result.checkpoint, message);
        if (error) result = failure(error, message);
    }
    if (result.error) {
        // Undo this write set alone; the others in the transaction stand.
        audit_.rollback_write_set();
        if (sqlite3_get_autocommit(db) || !run(rollback_to_) || !run(release_)) transaction_lost = true;
    } else if (!run(release_)) {
        transaction_lost = true;
        result = failure(last_error(db), std::string("cannot release a savepoint: ") + sqlite3_errmsg(db));
    }
    return result;
}

std::error_code SqliteStore::insert_history(const std::vector<HistoryEntry>& history, std::string& message) {
    if (history.empty()) return {};
    sqlite3* db = writer_db_.get();
    std::error_code error;
    // Prepared per write set: a status update is rare beside intake, so no statement is kept for it.
    Statement statement = Statement::prepare(
        db,
        "INSERT INTO referral_history (message_id, organisation, service, status, reason, time) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        error, message);
    if (error) return error;
    for (const HistoryEntry& entry : history) {
        // Bound without a copy (SQLITE_STATIC): the text must outlive step().
        const std::string time = entry.time.empty() ? audit::now_instant() : entry.time;
        StatementUse use(statement);
        use->bind_text(1, entry.message_id);
        use->bind_text(2, entry.organisation);
        use->bind_text(3, entry.service);
        use->bind_text(4, entry.status);
        use->bind_text(5, entry.reason);
        use->bind_text(6, time);
        if (use->step() != SQLITE_DONE) {
            message = std::string("cannot add to a referral's history: ") + sqlite3_errmsg(db);
            return last_error(db);
        }
    }
    return {};
}

std::error_code SqliteStore::set_escalation_timers(const WriteSet& writes,
                                                   const std::vector<std::string_view>& repeated,
                                                   std::string& message) {
    if (writes.escalation_timers.empty() && writes.escalation_timers_done.empty() &&
        writes.escalation_timers_fired.empty())
        return {};
    sqlite3* db = writer_db_.get();
    std::error_code error;
    if (!writes.escalation_timers.empty()) {
        // OR IGNORE: a timer once set keeps its first due time.
        Statement set = Statement::prepare(
            db, "INSERT OR IGNORE INTO escalation_timers (message_id, due_at, state) VALUES (?1, ?2, 'pending')", error,
            message);
        if (error) return error;
        for (const EscalationTimer& timer : writes.escalation_timers) {
            if (std::find(repeated.begin(), repeated.end(), timer.message_id) != repeated.end()) continue;
            StatementUse use(set);
            use->bind_text(1, timer.message_id);
            use->bind_text(2, timer.due_at);
            if (use->step() != SQLITE_DONE) {
                message = std::string("cannot set an escalation timer: ") + sqlite3_errmsg(db);
                return last_error(db);
            }
        }
    }
    // Timers no longer needed end whatever their state; a fired one must
    // still be pending, or the write set is refused (store.hpp).
    const auto end_timers = [&](const std::vector<std::string>& ids, bool fired) -> std::error_code {
        if (ids.empty()) return {};
        Statement end = Statement::prepare(db,
                                           fired ? "UPDATE escalation_timers SET state = 'done' "
                                                   "WHERE message_id = ?1 AND state = 'pending'"
                                                 : "UPDATE escalation_timers SET state = 'done' WHERE message_id = ?1",
                                           error, message);
        if (error) return error;
        for (const std::string& id : ids) {
            StatementUse use(end);
            use->bind_text(1, id);
            if (use->step() != SQLITE_DONE) {
                message = std::string(fired ? "cannot fire" : "cannot end") + " an escalation timer: " +
                          sqlite3_errmsg(db);
                return last_error(db);
            }
            if (fired && sqlite3_changes(db) != 1) {
                message = "an escalation timer has already fired or ended";
                return make_error_code(StoreErrc::escalation_not_pending);
            }
        }
        return {};
    };
    if ((error = end_timers(writes.escalation_timers_done, false))) return error;
    return end_timers(writes.escalation_timers_fired, true);
}

std::error_code SqliteStore::insert(const StoredMessage& message, MessageResult& result) {
    sqlite3* db = writer_db_.get();
    {
        StatementUse use(insert_message_);
        use->bind_text(1, message.id);
        use->bind_text(2, message.sender);
        use->bind_text(3, message.client);
        use->bind_text_or_null(4, message.idempotency_key);
        use->bind_text(5, message.received_at);
        use->bind_text(6, message.source_format);
        use->bind_text(7, message.content_type);
        use->bind_blob(8, message.payload);
        use->bind_text(9, message.canonical);
        use->bind_text(10, message.outcome);
        use->bind_text_or_null(11, message.nhs_number);
        use->bind_text_or_null(12, message.referral_id);
        if (use->step() != SQLITE_DONE) return last_error(db);
    }
    if (sqlite3_changes(db) == 1) {
        result = MessageResult{message.id, false, {}};
        return {};
    }
    // The sender's key was seen before (in an earlier transaction or earlier
    // in this one): answer with what the original got.
    StatementUse use(find_original_);
    use->bind_text(1, message.sender);
    use->bind_text(2, message.idempotency_key);
    if (use->step() != SQLITE_ROW) return last_error(db);
    result = MessageResult{use->column_text(0), true, use->column_text(1)};
    return {};
}

SqliteStore::ReaderLease SqliteStore::lease_reader() {
    std::unique_lock lock(readers_mutex_);
    reader_returned_.wait(lock, [this] { return !idle_readers_.empty(); });
    Reader* reader = idle_readers_.back();
    idle_readers_.pop_back();
    return ReaderLease(*this, *reader);
}

void SqliteStore::return_reader(Reader& reader) {
    {
        std::lock_guard lock(readers_mutex_);
        idle_readers_.push_back(&reader);  // never longer than at open, so no allocation
    }
    reader_returned_.notify_one();
}

std::optional<StoredMessage> SqliteStore::find_message(std::string_view id, std::error_code& error) {
    error.clear();
    try {
        ReaderLease reader = lease_reader();
        StatementUse use(reader->find_message);
        use->bind_text(1, id);
        const int rc = use->step();
        if (rc == SQLITE_DONE) return std::nullopt;
        if (rc != SQLITE_ROW) {
            error = last_error(reader->db.get());
            return std::nullopt;
        }
        StoredMessage message;
        message.id = use->column_text(0);
        message.sender = use->column_text(1);
        message.client = use->column_text(2);
        message.idempotency_key = use->column_text(3);
        message.received_at = use->column_text(4);
        message.source_format = use->column_text(5);
        message.content_type = use->column_text(6);
        message.payload = use->column_blob(7);
        message.canonical = use->column_text(8);
        message.outcome = use->column_text(9);
        message.nhs_number = use->column_text(10);
        message.referral_id = use->column_text(11);
        return message;
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return std::nullopt;
    }
}

std::vector<HistoryEntry> SqliteStore::referral_history(std::string_view message_id, std::error_code& error) {
    error.clear();
    try {
        ReaderLease reader = lease_reader();
        std::string message;
        Statement statement = Statement::prepare(
            reader->db.get(),
            "SELECT seq, message_id, organisation, service, status, reason, time FROM referral_history "
            "WHERE message_id = ?1 ORDER BY seq",
            error, message);
        if (error) return {};
        StatementUse use(statement);
        use->bind_text(1, message_id);
        std::vector<HistoryEntry> history;
        int rc;
        while ((rc = use->step()) == SQLITE_ROW) {
            HistoryEntry entry;
            entry.seq = static_cast<std::uint64_t>(use->column_int64(0));
            entry.message_id = use->column_text(1);
            entry.organisation = use->column_text(2);
            entry.service = use->column_text(3);
            entry.status = use->column_text(4);
            entry.reason = use->column_text(5);
            entry.time = use->column_text(6);
            history.push_back(std::move(entry));
        }
        if (rc != SQLITE_DONE) error = last_error(reader->db.get());
        return history;
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

std::vector<EscalationTimer> SqliteStore::due_escalation_timers(std::string_view now, std::size_t limit,
                                                               std::error_code& error) {
    error.clear();
    try {
        ReaderLease reader = lease_reader();
        std::string message;
        Statement statement = Statement::prepare(reader->db.get(),
                                                 "SELECT message_id, due_at FROM escalation_timers "
                                                 "WHERE state = 'pending' AND due_at <= ?1 ORDER BY due_at LIMIT ?2",
                                                 error, message);
        if (error) return {};
        StatementUse use(statement);
        use->bind_text(1, now);
        use->bind_int64(2, static_cast<std::int64_t>(std::clamp<std::size_t>(limit, 1, 1000)));
        std::vector<EscalationTimer> timers;
        int rc;
        while ((rc = use->step()) == SQLITE_ROW) timers.push_back({use->column_text(0), use->column_text(1)});
        if (rc != SQLITE_DONE) error = last_error(reader->db.get());
        return timers;
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

std::vector<std::string> SqliteStore::message_recipients(std::string_view message_id, std::error_code& error) {
    error.clear();
    try {
        ReaderLease reader = lease_reader();
        std::string message;
        // Status notifications (http/status_api) are outbox rows too; their
        // receivers are told of the referral, not sent it, so they are left out.
        Statement statement = Statement::prepare(
            reader->db.get(),
            "SELECT DISTINCT recipient FROM outbox WHERE message_id = ?1 "
            "AND content_type NOT LIKE '%partnership-status%' ORDER BY recipient",
            error, message);
        if (error) return {};
        StatementUse use(statement);
        use->bind_text(1, message_id);
        std::vector<std::string> recipients;
        int rc;
        while ((rc = use->step()) == SQLITE_ROW) recipients.push_back(use->column_text(0));
        if (rc != SQLITE_DONE) error = last_error(reader->db.get());
        return recipients;
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

std::vector<audit::AuditEntry> SqliteStore::find_audit_entries(const audit::AuditQuery& query, std::error_code& error) {
    ReaderLease reader = lease_reader();
    return store::find_audit_entries(reader->db.get(), query, error);
}

std::optional<audit::Checkpoint> SqliteStore::latest_audit_checkpoint(std::error_code& error) {
    ReaderLease reader = lease_reader();
    return store::latest_audit_checkpoint(reader->audit, error);
}

std::optional<audit::Checkpoint> SqliteStore::audit_checkpoint_at(std::uint64_t tree_size, std::error_code& error) {
    ReaderLease reader = lease_reader();
    return store::audit_checkpoint_at(reader->audit, tree_size, error);
}

std::vector<audit::Hash> SqliteStore::audit_leaf_hashes(std::uint64_t first_seq, std::uint64_t last_seq,
                                                        std::error_code& error) {
    ReaderLease reader = lease_reader();
    return store::audit_leaf_hashes(reader->audit, first_seq, last_seq, error);
}

std::vector<OutboxItem> SqliteStore::due_outbox_items(std::chrono::system_clock::time_point now, std::size_t limit,
                                                      std::error_code& error) {
    ReaderLease reader = lease_reader();
    return store::due_outbox_items(reader->db.get(), now, limit, error);
}

std::optional<std::chrono::system_clock::time_point> SqliteStore::next_outbox_attempt(std::error_code& error) {
    ReaderLease reader = lease_reader();
    return store::next_outbox_attempt(reader->db.get(), error);
}

std::vector<OutboxItem> SqliteStore::find_outbox_items(const OutboxQuery& query, std::error_code& error) {
    ReaderLease reader = lease_reader();
    return store::find_outbox_items(reader->db.get(), query, error);
}

std::uint64_t SqliteStore::count_outbox_items(const OutboxQuery& query, std::error_code& error) {
    ReaderLease reader = lease_reader();
    return store::count_outbox_items(reader->db.get(), query, error);
}

std::optional<OutboxItem> SqliteStore::find_outbox_item(std::string_view id, std::error_code& error) {
    ReaderLease reader = lease_reader();
    return store::find_outbox_item(reader->db.get(), id, error);
}

bool SqliteStore::ready() {
    {
        std::lock_guard lock(queue_mutex_);
        if (closing_) return false;
    }
    if (last_commit_failed_.load()) return false;
    ReaderLease reader = lease_reader();
    StatementUse use(reader->ping);
    return use->step() == SQLITE_ROW;
}

void SqliteStore::close() {
    {
        std::lock_guard lock(queue_mutex_);
        closing_ = true;
    }
    queue_changed_.notify_all();
    // From a done callback (the writer's own thread) close() only stops
    // intake: the writer drains the queue and stops after the callback returns.
    if (std::this_thread::get_id() == writer_id_) return;
    std::lock_guard lock(close_mutex_);
    if (writer_.joinable()) writer_.join();
}

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const SqliteOptions& options, std::error_code& error, std::string& message) {
    return SqliteStore::open(options, error, message);
}

}  // namespace carebridge::gateway::store
