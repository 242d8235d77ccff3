// The embedded store: one SQLite file in WAL mode, the shared writer
// (store/group_commit.hpp) over this file's statements
// (sqlite_transaction.hpp), and a pool of read-only connections that read
// beside it.

#include "store/read_guard.hpp"
#include "store/sqlite/sqlite_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <new>
#include <utility>

#include "audit/checkpoint.hpp"
#include "store/audit_chain.hpp"
#include "store/group_commit_store.hpp"
#include "store/reader_pool.hpp"
#include "store/sqlite/sqlite_audit.hpp"
#include "store/sqlite/sqlite_connection.hpp"
#include "store/sqlite/sqlite_error.hpp"
#include "store/sqlite/sqlite_outbox.hpp"
#include "store/sqlite/sqlite_schema.hpp"
#include "store/sqlite/sqlite_transaction.hpp"
#include "store/store_error.hpp"

namespace carebridge::gateway::store {
namespace {

constexpr int busy_timeout_ms = 5000;  // a backup or the sqlite3 shell may hold the lock for a moment

constexpr std::string_view find_message_sql = R"sql(
SELECT id, sender, client, idempotency_key, received_at, source_format, content_type,
       payload, canonical, outcome, nhs_number, referral_id
FROM messages WHERE id = ?1
)sql";

// A triage item with what its message says of it; a query adds its WHERE.
constexpr std::string_view triage_select_sql = R"sql(
SELECT t.seq, t.message_id, t.kind, t.reason, t.state, t.organisation, t.service, t.return_reason,
       t.created_at, t.updated_at, m.sender, m.referral_id, m.received_at
FROM triage t JOIN messages m ON m.id = t.message_id
)sql";

// The row a triage_select_sql query is on.
TriageItem triage_item_of(StatementUse& use) {
    TriageItem item;
    item.seq = static_cast<std::uint64_t>(use->column_int64(0));
    item.message_id = use->column_text(1);
    item.kind = use->column_text(2);
    item.reason = use->column_text(3);
    item.state = parse_triage_state(use->column_text(4)).value_or(TriageState::open);
    item.organisation = use->column_text(5);
    item.service = use->column_text(6);
    item.return_reason = use->column_text(7);
    item.created_at = use->column_text(8);
    item.updated_at = use->column_text(9);
    item.sender = use->column_text(10);
    item.referral_id = use->column_text(11);
    item.received_at = use->column_text(12);
    return item;
}

// Creates the directory owner-only: it will hold patient records. Every
// filesystem error fails the open, so the store never runs in a directory
// whose permissions it could not set.
std::error_code prepare_directory(const std::string& directory, std::string& message) {
    namespace fs = std::filesystem;
    std::error_code error;
    if (directory.empty()) {
        message = "the store's directory is not set";
        return StoreErrc::bad_directory;
    }
    const bool exists = fs::exists(directory, error);
    if (!error && !exists) {
        if (fs::create_directories(directory, error); !error)
            fs::permissions(directory, fs::perms::owner_all, fs::perm_options::replace, error);
        if (error) {
            message = "cannot create the store's directory " + directory + ": " + error.message();
            return error;
        }
    }
    const bool is_directory = !error && fs::is_directory(directory, error);
    if (error) {
        message = "cannot use the store's directory " + directory + ": " + error.message();
        return error;
    }
    if (!is_directory) {
        message = "the store's directory " + directory + " is not a directory";
        return StoreErrc::bad_directory;
    }
    return {};
}

// SQLite would create the file with the umask's permissions (often 0644);
// made here first it is owner-only, and the -wal and -shm files copy its mode.
std::error_code create_owner_only(const std::string& path, std::string& message) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || ::close(fd) != 0) {
        std::error_code error(errno, std::generic_category());
        message = "cannot create " + path + ": " + error.message();
        return error;
    }
    return {};
}

// A read-only connection with its statements prepared once.
struct Reader {
    Connection db;
    Statement find_message;
    Statement ping;
    AuditReads audit;
};

class SqliteStore final : public GroupCommitStore {
public:
    ~SqliteStore() override { close(); }
    static std::unique_ptr<Store> open(const SqliteOptions& options, std::error_code& error, std::string& message) {
        return open_or_fail(error, message, [&]() -> std::unique_ptr<Store> {
            if ((error = prepare_directory(options.directory, message))) return nullptr;
            std::unique_ptr<SqliteStore> store(new SqliteStore(options));
            store->path_ = (std::filesystem::path(options.directory) / sqlite_database_file).string();
            if ((error = create_owner_only(store->path_, message))) return nullptr;

            // The audit log's signing key lives beside the database it vouches for.
            store->key_path_ = options.audit_signing_key.empty()
                                   ? (std::filesystem::path(options.directory) / audit::signing_key_file).string()
                                   : options.audit_signing_key;
            if ((error = store->start(store->key_path_, {options.max_batch, options.max_queue, options.observer},
                                      message)))
                return nullptr;
            return store;
        });
    }

    std::optional<StoredMessage> find_message(std::string_view id, std::error_code& error) override {
        return read_or_fail<std::optional<StoredMessage>>(error, [&]() -> std::optional<StoredMessage> {
            auto reader = readers_.lease();
            StatementUse use(reader->find_message);
            use->bind_text(1, id);
            const int rc = use->step();
            if (rc == SQLITE_DONE) return std::nullopt;
            if (rc != SQLITE_ROW) {
                error = sqlite_error(sqlite3_extended_errcode(reader->db.get()));
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
        });
    }
    std::vector<HistoryEntry> referral_history(std::string_view message_id, std::error_code& error) override {
        return read_or_fail<std::vector<HistoryEntry>>(error, [&]() -> std::vector<HistoryEntry> {
            auto reader = readers_.lease();
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
            if (rc != SQLITE_DONE) error = sqlite_error(sqlite3_extended_errcode(reader->db.get()));
            return history;
        });
    }
    std::vector<TriageItem> find_triage_items(const TriageQuery& query, std::error_code& error) override {
        return read_or_fail<std::vector<TriageItem>>(error, [&]() -> std::vector<TriageItem> {
            auto reader = readers_.lease();
            std::string message;
            Statement statement = Statement::prepare(
                reader->db.get(),
                std::string(triage_select_sql) + "WHERE t.seq > ?1 AND (?2 = '' OR t.state = ?2) ORDER BY t.seq LIMIT ?3",
                error, message);
            if (error) return {};
            StatementUse use(statement);
            use->bind_int64(1, static_cast<std::int64_t>(query.after_seq));
            use->bind_text(2, query.state ? to_string(*query.state) : std::string_view());
            use->bind_int64(3, static_cast<std::int64_t>(std::clamp<std::size_t>(query.limit, 1, 1000)));
            std::vector<TriageItem> items;
            int rc;
            while ((rc = use->step()) == SQLITE_ROW) items.push_back(triage_item_of(use));
            if (rc != SQLITE_DONE) error = sqlite_error(sqlite3_extended_errcode(reader->db.get()));
            return items;
        });
    }
    std::optional<TriageItem> find_triage_item(std::string_view message_id, std::error_code& error) override {
        return read_or_fail<std::optional<TriageItem>>(error, [&]() -> std::optional<TriageItem> {
            auto reader = readers_.lease();
            std::string message;
            Statement statement = Statement::prepare(
                reader->db.get(), std::string(triage_select_sql) + "WHERE t.message_id = ?1", error, message);
            if (error) return std::nullopt;
            StatementUse use(statement);
            use->bind_text(1, message_id);
            const int rc = use->step();
            if (rc == SQLITE_ROW) return triage_item_of(use);
            if (rc != SQLITE_DONE) error = sqlite_error(sqlite3_extended_errcode(reader->db.get()));
            return std::nullopt;
        });
    }
    std::vector<EscalationTimer> due_escalation_timers(std::string_view now, std::size_t limit,
                                                                   std::error_code& error) override {
        return read_or_fail<std::vector<EscalationTimer>>(error, [&]() -> std::vector<EscalationTimer> {
            auto reader = readers_.lease();
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
            if (rc != SQLITE_DONE) error = sqlite_error(sqlite3_extended_errcode(reader->db.get()));
            return timers;
        });
    }
    std::vector<std::string> message_recipients(std::string_view message_id, std::error_code& error) override {
        return read_or_fail<std::vector<std::string>>(error, [&]() -> std::vector<std::string> {
            auto reader = readers_.lease();
            std::string message;
            // Status notifications (api/status_api, timers/escalation) are outbox rows too; their
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
            if (rc != SQLITE_DONE) error = sqlite_error(sqlite3_extended_errcode(reader->db.get()));
            return recipients;
        });
    }
    std::vector<audit::AuditEntry> find_audit_entries(const audit::AuditQuery& query, std::error_code& error) override {
        auto reader = readers_.lease();
        return store::find_audit_entries(reader->db.get(), query, error);
    }
    std::optional<audit::Checkpoint> latest_audit_checkpoint(std::error_code& error) override {
        auto reader = readers_.lease();
        return reader->audit.latest_checkpoint(error);
    }
    std::optional<audit::Checkpoint> audit_checkpoint_at(std::uint64_t tree_size, std::error_code& error) override {
        auto reader = readers_.lease();
        return reader->audit.checkpoint_at(tree_size, error);
    }
    std::vector<audit::Hash> audit_leaf_hashes(std::uint64_t first_seq, std::uint64_t last_seq,
                                                            std::error_code& error) override {
        auto reader = readers_.lease();
        return reader->audit.leaf_hashes(first_seq, last_seq, error);
    }
    // The current key, and the earlier ones kept beside the signing key (where a
    // rotation leaves them, audit/checkpoint.hpp) and in the store's directory.
    audit::TrustedKeys audit_trusted_keys() override {
        audit::TrustedKeys keys(chain_->public_key());
        // A file there that is no key leaves the checkpoints it signed unverified, and the verifier says so.
        std::string unreadable;
        const auto key_directory = std::filesystem::path(key_path_).parent_path();
        keys.add_directory((key_directory / audit::public_keys_directory).string(), unreadable);
        keys.add_directory((std::filesystem::path(options_.directory) / audit::public_keys_directory).string(), unreadable);
        return keys;
    }
    audit::LogVerification verify_audit_log() override { return verify_audit_file(path_, audit_trusted_keys()); }
    std::vector<OutboxItem> due_outbox_items(std::chrono::system_clock::time_point now, std::size_t limit,
                                                          std::error_code& error) override {
        auto reader = readers_.lease();
        return store::due_outbox_items(reader->db.get(), now, limit, error);
    }
    std::optional<std::chrono::system_clock::time_point> next_outbox_attempt(std::error_code& error) override {
        auto reader = readers_.lease();
        return store::next_outbox_attempt(reader->db.get(), error);
    }
    std::vector<OutboxItem> find_outbox_items(const OutboxQuery& query, std::error_code& error) override {
        auto reader = readers_.lease();
        return store::find_outbox_items(reader->db.get(), query, error);
    }
    std::uint64_t count_outbox_items(const OutboxQuery& query, std::error_code& error) override {
        auto reader = readers_.lease();
        return store::count_outbox_items(reader->db.get(), query, error);
    }
    std::optional<OutboxItem> find_outbox_item(std::string_view id, std::error_code& error) override {
        auto reader = readers_.lease();
        return store::find_outbox_item(reader->db.get(), id, error);
    }
    bool ready() override {
        if (!accepting()) return false;
        auto reader = readers_.lease();
        StatementUse use(reader->ping);
        return use->step() == SQLITE_ROW;
    }
    void close() override {
        stop_writer();
    }

private:
    explicit SqliteStore(const SqliteOptions& options) : options_(options) {
        options_.read_connections = std::max<std::size_t>(options_.read_connections, 1);
    }

    std::error_code open_writer(std::shared_ptr<const audit::SigningKey> audit_key, std::string& message) override {
        std::error_code error;
        writer_db_ =
            open_connection(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, error, message);
        if (error) return error;
        sqlite3* db = writer_db_.get();
        sqlite3_busy_timeout(db, busy_timeout_ms);

        // WAL lets readers run beside the writer; FULL syncs the WAL on every
        // commit, so a commit that returned survives a power cut, not only a crash.
        const std::string mode = query_text(db, "PRAGMA journal_mode=WAL", error, message);
        if (error) {
            message = path_ + ": " + message;  // e.g. "file is not a database"
            return error;
        }
        if (mode != "wal") {
            message = path_ + " cannot use write-ahead logging (journal mode is " + mode + ")";
            return sqlite_error(SQLITE_CANTOPEN);
        }
        if ((error = execute(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", message))) return error;
        if ((error = migrate(db, message))) {
            message = path_ + ": " + message;
            return error;
        }
        AuditChain::Head head;
        transaction_ = open_sqlite_transaction(db, head, error, message);
        if (!transaction_) {
            message = path_ + ": " + message;
            return error;
        }
        chain_ = std::make_unique<AuditChain>(std::move(audit_key));
        chain_->load(head);
        return {};
    }
    std::error_code open_readers(std::string& message) override {
        std::error_code error;
        for (std::size_t i = 0; i < options_.read_connections; ++i) {
            auto reader = std::make_unique<Reader>();
            reader->db = open_connection(path_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, error, message);
            if (error) return error;
            sqlite3_busy_timeout(reader->db.get(), busy_timeout_ms);
            reader->find_message = Statement::prepare(reader->db.get(), find_message_sql, error, message);
            if (!error) reader->ping = Statement::prepare(reader->db.get(), "SELECT 1", error, message);
            if (!error) error = reader->audit.prepare(reader->db.get(), message);
            if (error) return error;
            readers_.add(std::move(reader));
        }
        return {};
    }

    SqliteOptions options_;
    std::string path_;      // <directory>/carebridge.sqlite
    std::string key_path_;  // the audit signing key's file

    // Members are destroyed in reverse order: the writer stops (in close())
    // before its statements, and each statement goes before its connection.
    Connection writer_db_;
    ReaderPool<Reader> readers_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const SqliteOptions& options, std::error_code& error, std::string& message) {
    return SqliteStore::open(options, error, message);
}

}  // namespace carebridge::gateway::store
