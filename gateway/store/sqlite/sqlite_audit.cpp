#include "store/sqlite/sqlite_audit.hpp"

#include <algorithm>
#include <charconv>
#include <new>

#include "audit/detail.hpp"
#include "audit/entry_bytes.hpp"
#include "store/sqlite/sqlite_error.hpp"

namespace carebridge::gateway::store {
namespace {

constexpr std::string_view entry_columns =
    "seq, time, action, actor_organisation, actor_client, actor_role, patient, message_id, referral_id, recipient, "
    "purpose, lawful_basis, consent_reference, outcome, detail, previous_hash, hash";

constexpr std::string_view checkpoint_columns = "tree_size, root_hash, time, signature, key_id";

std::error_code last_error(sqlite3* db) { return sqlite_error(sqlite3_extended_errcode(db)); }

// A count SQLite printed; 0 for anything else (a file edited by hand).
std::uint64_t count_of(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size() ? value : 0;
}

std::string_view column_view(sqlite3_stmt* statement, int index) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, index));
    return text ? std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(statement, index)))
                : std::string_view();
}

std::string_view blob_view(sqlite3_stmt* statement, int index) {
    const auto* bytes = static_cast<const char*>(sqlite3_column_blob(statement, index));
    return bytes ? std::string_view(bytes, static_cast<std::size_t>(sqlite3_column_bytes(statement, index)))
                 : std::string_view();
}

// Checkpoint columns in checkpoint_columns' order. A root that is not hex
// reads as zeros, whose signature then fails: tampering, reported as such.
audit::Checkpoint checkpoint_from(Statement& row) {
    audit::Checkpoint checkpoint;
    checkpoint.tree_size = static_cast<std::uint64_t>(row.column_int64(0));
    checkpoint.root_hash = audit::hash_from_hex(row.column_text(1)).value_or(audit::Hash{});
    checkpoint.time = row.column_text(2);
    checkpoint.signature = row.column_text(3);
    checkpoint.key_id = row.column_text(4);
    return checkpoint;
}

std::optional<audit::Checkpoint> one_checkpoint(Statement& statement, std::error_code& error) {
    const int rc = statement.step();
    if (rc == SQLITE_ROW) return checkpoint_from(statement);
    if (rc != SQLITE_DONE) error = sqlite_error(rc);
    return std::nullopt;
}

}  // namespace

// ---- the readers -------------------------------------------------------------

std::error_code AuditReads::prepare(sqlite3* db, std::string& message) {
    std::error_code error;
    const std::string select = "SELECT " + std::string(checkpoint_columns) + " FROM audit_checkpoints ";
    latest_checkpoint_ = Statement::prepare(db, select + "ORDER BY tree_size DESC LIMIT 1", error, message);
    if (!error) checkpoint_at_ = Statement::prepare(db, select + "WHERE tree_size = ?1", error, message);
    if (!error)
        leaf_hashes_ = Statement::prepare(
            db, "SELECT leaf_hash FROM audit_entries WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq", error, message);
    return error;
}

std::vector<audit::AuditEntry> find_audit_entries(sqlite3* db, const audit::AuditQuery& query, std::error_code& error) {
    error.clear();
    std::vector<audit::AuditEntry> entries;
    try {
        // Only the filters that are set go into the SQL, so SQLite can use
        // the index of the most selective one.
        std::string sql = "SELECT " + std::string(entry_columns) + " FROM audit_entries WHERE 1";
        std::vector<std::string_view> texts;
        const auto text_filter = [&](const char* clause, const std::string& value) {
            if (value.empty()) return;
            sql += clause;
            texts.push_back(value);
        };
        text_filter(" AND patient = ?", query.patient);
        if (!query.organisation.empty()) {
            sql += " AND (actor_organisation = ? OR recipient = ?)";
            texts.push_back(query.organisation);
            texts.push_back(query.organisation);
        }
        text_filter(" AND recipient = ?", query.recipient);
        if (!query.actions.empty()) {
            sql += " AND action IN (";
            for (std::size_t i = 0; i < query.actions.size(); ++i) {
                sql += i ? ", ?" : "?";
                texts.push_back(audit::to_string(query.actions[i]));
            }
            sql += ")";
        }
        text_filter(" AND outcome = ?", query.outcome);
        text_filter(" AND time >= ?", query.from);
        text_filter(" AND time < ?", query.to);
        std::optional<std::uint64_t> cursor;
        if (query.newest_first && query.before_seq > 0) {
            sql += " AND seq < ?";
            cursor = query.before_seq;
        } else if (!query.newest_first && query.after_seq > 0) {
            sql += " AND seq > ?";
            cursor = query.after_seq;
        }
        sql += query.newest_first ? " ORDER BY seq DESC LIMIT ?" : " ORDER BY seq LIMIT ?";

        std::string message;
        Statement statement = Statement::prepare(db, sql, error, message);
        if (error) return entries;
        int index = 1;
        for (std::string_view text : texts) statement.bind_text(index++, text);
        if (cursor) statement.bind_int64(index++, static_cast<std::int64_t>(*cursor));
        const std::size_t limit = std::clamp<std::size_t>(query.limit, 1, audit::max_page);
        statement.bind_int64(index, static_cast<std::int64_t>(limit));

        int rc;
        while ((rc = statement.step()) == SQLITE_ROW) {
            audit::AuditEntry entry;
            entry.seq = static_cast<std::uint64_t>(statement.column_int64(0));
            audit::AuditEvent& e = entry.event;
            e.time = statement.column_text(1);
            const auto action = audit::parse_action(statement.column_text(2));
            if (!action) {  // never written by the gateway: the row was edited
                error = sqlite_error(SQLITE_CORRUPT);
                entries.clear();
                return entries;
            }
            e.action = *action;
            e.actor_organisation = statement.column_text(3);
            e.actor_client = statement.column_text(4);
            e.actor_role = statement.column_text(5);
            e.patient = statement.column_text(6);
            e.message_id = statement.column_text(7);
            e.referral_id = statement.column_text(8);
            e.recipient = statement.column_text(9);
            e.purpose = statement.column_text(10);
            e.lawful_basis = statement.column_text(11);
            e.consent_reference = statement.column_text(12);
            e.outcome = statement.column_text(13);
            e.detail = statement.column_text(14);
            entry.previous_hash = statement.column_text(15);
            entry.hash = statement.column_text(16);
            entries.push_back(std::move(entry));
        }
        if (rc != SQLITE_DONE) {
            error = last_error(db);
            entries.clear();
        }
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        entries.clear();
    }
    return entries;
}

std::optional<audit::Checkpoint> AuditReads::latest_checkpoint(std::error_code& error) {
    error.clear();
    StatementUse use(latest_checkpoint_);
    return one_checkpoint(latest_checkpoint_, error);
}

std::optional<audit::Checkpoint> AuditReads::checkpoint_at(std::uint64_t tree_size, std::error_code& error) {
    error.clear();
    StatementUse use(checkpoint_at_);
    use->bind_int64(1, static_cast<std::int64_t>(tree_size));
    return one_checkpoint(checkpoint_at_, error);
}

std::vector<audit::Hash> AuditReads::leaf_hashes(std::uint64_t first_seq, std::uint64_t last_seq,
                                                 std::error_code& error) {
    error.clear();
    std::vector<audit::Hash> leaves;
    if (first_seq == 0 || last_seq < first_seq) return leaves;
    try {
        leaves.reserve(std::min<std::uint64_t>(last_seq - first_seq + 1, 1u << 20));
        StatementUse use(leaf_hashes_);
        use->bind_int64(1, static_cast<std::int64_t>(first_seq));
        use->bind_int64(2, static_cast<std::int64_t>(last_seq));
        int rc;
        while ((rc = use->step()) == SQLITE_ROW) {
            const auto leaf = audit::hash_from_bytes(use->column_blob(0));
            if (!leaf) {
                error = sqlite_error(SQLITE_CORRUPT);
                leaves.clear();
                return leaves;
            }
            leaves.push_back(*leaf);
        }
        if (rc != SQLITE_DONE) {
            error = sqlite_error(rc);
            leaves.clear();
        }
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        leaves.clear();
    }
    return leaves;
}

// ---- audit verify ------------------------------------------------------------

namespace {

// Reads rows through the raw statement so each column is a view into
// SQLite's buffer: no copy per field across a million entries.
class SqliteEntrySource final : public audit::EntrySource {
public:
    SqliteEntrySource(sqlite3* db, std::error_code& error, std::string& message) : db_(db) {
        const std::string sql = "SELECT " + std::string(entry_columns) + ", leaf_hash FROM audit_entries ORDER BY seq";
        sqlite3_stmt* raw = nullptr;
        if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK) {
            error = last_error(db);
            message = sqlite3_errmsg(db);
            return;
        }
        rows_.reset(raw);
        by_hash_ = Statement::prepare(db, "SELECT seq FROM audit_entries WHERE hash = ?1 ORDER BY seq LIMIT 1", error,
                                      message);
    }

    bool next(audit::StoredEntry& entry) override {
        if (done_) return false;
        sqlite3_stmt* row = rows_.get();
        const int rc = sqlite3_step(row);
        if (rc != SQLITE_ROW) {
            done_ = true;
            if (rc != SQLITE_DONE) error_ = sqlite3_errmsg(db_);
            return false;
        }
        entry.seq = static_cast<std::uint64_t>(sqlite3_column_int64(row, 0));
        audit::EntryText& t = entry.text;
        t.time = column_view(row, 1);
        t.action = column_view(row, 2);
        t.actor_organisation = column_view(row, 3);
        t.actor_client = column_view(row, 4);
        t.actor_role = column_view(row, 5);
        t.patient = column_view(row, 6);
        t.message_id = column_view(row, 7);
        t.referral_id = column_view(row, 8);
        t.recipient = column_view(row, 9);
        t.purpose = column_view(row, 10);
        t.lawful_basis = column_view(row, 11);
        t.consent_reference = column_view(row, 12);
        t.outcome = column_view(row, 13);
        t.detail = column_view(row, 14);
        t.previous_hash = column_view(row, 15);
        entry.hash = column_view(row, 16);
        entry.leaf_hash = blob_view(row, 17);
        return true;
    }

    std::string error() const override { return error_; }

    std::optional<std::uint64_t> seq_of_hash(std::string_view hash) override {
        StatementUse use(by_hash_);
        use->bind_text(1, hash);
        if (use->step() != SQLITE_ROW) return std::nullopt;
        return static_cast<std::uint64_t>(use->column_int64(0));
    }

private:
    sqlite3* db_;
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> rows_{nullptr, sqlite3_finalize};
    Statement by_hash_;
    bool done_ = false;
    std::string error_;
};

bool table_exists(sqlite3* db, const char* name) {
    std::error_code error;
    std::string message;
    const std::string sql =
        std::string("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '") + name + "'";
    return query_text(db, sql.c_str(), error, message) == "1";
}

}  // namespace

audit::LogVerification verify_audit_file(const std::string& database, const audit::TrustedKeys& keys,
                                         const AuditVerifyProgress& progress) {
    std::error_code error;
    std::string message;
    Connection connection = open_connection(database, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, error, message);
    if (error) return audit::unreadable_log(message);
    sqlite3* db = connection.get();
    sqlite3_busy_timeout(db, 5000);

    // One read transaction: entries, checkpoints and look-ups all see the
    // same snapshot however much the gateway appends meanwhile.
    if ((error = execute(db, "BEGIN", message))) return audit::unreadable_log("cannot read " + database + ": " + message);
    struct EndRead {
        sqlite3* db;
        ~EndRead() {
            std::string ignored;
            execute(db, "ROLLBACK", ignored);
        }
    } end_read{db};

    const std::string version =
        query_text(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", error, message);
    if (error) return audit::unreadable_log(database + " is not a carebridge store: " + message);
    if (count_of(version) < 2)
        return audit::unreadable_log(database + " predates the audit log (schema version " + version +
                          "); carebridge serve adds it when it next starts");
    if (!table_exists(db, "audit_entries")) return audit::tampered_log("audit log: the audit_entries table is missing");
    if (!table_exists(db, "audit_checkpoints")) return audit::tampered_log("audit log: the audit_checkpoints table is missing");

    std::vector<audit::Checkpoint> checkpoints;
    {
        Statement all = Statement::prepare(
            db, "SELECT " + std::string(checkpoint_columns) + " FROM audit_checkpoints ORDER BY tree_size", error,
            message);
        if (error) return audit::unreadable_log("cannot read the checkpoints: " + message);
        StatementUse use(all);
        int rc;
        while ((rc = use->step()) == SQLITE_ROW) checkpoints.push_back(checkpoint_from(all));
        if (rc != SQLITE_DONE) return audit::unreadable_log(std::string("cannot read the checkpoints: ") + sqlite3_errmsg(db));
    }
    const std::string last = query_text(db, "SELECT coalesce(max(seq), 0) FROM audit_entries", error, message);
    if (error) return audit::unreadable_log("cannot read the audit log: " + message);
    const std::uint64_t total = count_of(last);

    SqliteEntrySource source(db, error, message);
    if (error) return audit::unreadable_log("cannot read the audit log: " + message);
    audit::VerifyProgress report;
    if (progress) report = [&](std::uint64_t checked) { progress(checked, total); };
    return audit::verify_log(source, std::move(checkpoints), keys, report);
}

}  // namespace carebridge::gateway::store
