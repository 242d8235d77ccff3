#include "store/sqlite/sqlite_transaction.hpp"

#include <charconv>

#include "store/outbox_rows.hpp"
#include "store/sqlite/sqlite_error.hpp"
#include "store/sqlite/sqlite_retention.hpp"

namespace carebridge::gateway::store {
namespace {

constexpr std::string_view insert_message_sql = R"sql(
INSERT INTO messages (id, sender, client, idempotency_key, received_at, source_format, content_type,
                      payload, canonical, outcome, nhs_number, referral_id)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT (sender, idempotency_key) DO NOTHING
)sql";

constexpr std::string_view find_original_sql =
    "SELECT id, outcome FROM messages WHERE sender = ?1 AND idempotency_key = ?2";

constexpr std::string_view insert_outbox_sql = R"sql(
INSERT INTO outbox (id, message_id, recipient, recipient_ods, service, format, payload, content_type,
                    idempotency_key, endpoint_url, created_at, state, attempts, next_attempt_at, last_error,
                    updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, coalesce(?11, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), ?12, ?13,
        ?14, ?15, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)sql";

// ?6 lists the states the item may be in (write_transaction.hpp); NULL in
// ?3..?5 leaves the column as it is.
constexpr std::string_view update_outbox_sql = R"sql(
UPDATE outbox SET state = ?2,
                  attempts = coalesce(?3, attempts),
                  next_attempt_at = coalesce(?4, next_attempt_at),
                  last_error = CASE WHEN ?5 IS NULL THEN last_error ELSE nullif(?5, '') END,
                  updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
WHERE id = ?1 AND (?6 = '' OR instr(?6, ',' || state || ',') > 0)
)sql";

constexpr std::string_view insert_entry_sql = R"sql(
INSERT INTO audit_entries (seq, time, action, actor_organisation, actor_client, actor_role, patient, message_id,
                           referral_id, recipient, purpose, lawful_basis, consent_reference, outcome, detail,
                           previous_hash, hash, leaf_hash)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
)sql";

constexpr std::string_view insert_checkpoint_sql = R"sql(
INSERT INTO audit_checkpoints (tree_size, root_hash, time, signature, key_id) VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (tree_size) DO NOTHING
)sql";

std::error_code corrupt(std::string& message, std::string what) {
    message = std::move(what) + "; run carebridge audit verify";
    return sqlite_error(SQLITE_CORRUPT);
}

// A count SQLite printed; 0 for anything else (a file edited by hand).
std::uint64_t count_of(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size() ? value : 0;
}

class SqliteTransaction final : public WriteTransaction {
public:
    // Prepares the statements on `db` (migrated, the writer's).
    std::error_code prepare(sqlite3* db, std::string& message) {
        db_ = db;
        std::error_code error;
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
        prepare(insert_outbox_, insert_outbox_sql);
        prepare(update_outbox_, update_outbox_sql);
        prepare(insert_history_,
                "INSERT INTO referral_history (message_id, organisation, service, status, reason, time) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        prepare(insert_triage_,
                "INSERT INTO triage (message_id, kind, reason, state, created_at, updated_at) "
                "VALUES (?1, ?2, ?3, 'open', ?4, ?4)");
        prepare(update_triage_,
                "UPDATE triage SET state = ?2, organisation = ?3, service = ?4, return_reason = ?5, updated_at = ?6 "
                "WHERE message_id = ?1 AND state = 'open'");
        // OR IGNORE: a timer once set keeps its first due time.
        prepare(set_timer_,
                "INSERT OR IGNORE INTO escalation_timers (message_id, due_at, state) VALUES (?1, ?2, 'pending')");
        prepare(end_timer_, "UPDATE escalation_timers SET state = 'done' WHERE message_id = ?1");
        prepare(fire_timer_, "UPDATE escalation_timers SET state = 'done' WHERE message_id = ?1 AND state = 'pending'");
        prepare(insert_entry_, insert_entry_sql);
        prepare(insert_checkpoint_, insert_checkpoint_sql);
        return error;
    }

    // The head as the file holds it, by reading every leaf hash once (about a
    // second per 3 million entries). Only one process appends to a file (the
    // gateway that serves it); a second writer's stale head would collide on
    // seq and fail, never fork the log.
    std::error_code load_chain_head(AuditChain::Head& head, std::string& message) {
        head = AuditChain::Head{};
        std::error_code error;
        {
            Statement leaves =
                Statement::prepare(db_, "SELECT seq, leaf_hash FROM audit_entries ORDER BY seq", error, message);
            if (error) return error;
            StatementUse use(leaves);
            int rc;
            while ((rc = use->step()) == SQLITE_ROW) {
                const auto seq = static_cast<std::uint64_t>(use->column_int64(0));
                if (seq != head.seq + 1)
                    return corrupt(message, "the audit log has no entry " + std::to_string(head.seq + 1));
                const auto leaf = audit::hash_from_bytes(use->column_blob(1));
                if (!leaf) return corrupt(message, "audit entry " + std::to_string(seq) + " has no valid leaf hash");
                head.tree.append(*leaf);
                head.seq = seq;
            }
            if (rc != SQLITE_DONE) {
                message = sqlite3_errmsg(db_);
                return sqlite_error(sqlite3_extended_errcode(db_));
            }
        }
        if (head.seq > 0) {
            const std::string last =
                query_text(db_, "SELECT hash FROM audit_entries ORDER BY seq DESC LIMIT 1", error, message);
            if (error) return error;
            const auto hash = audit::hash_from_hex(last);
            if (!hash) return corrupt(message, "audit entry " + std::to_string(head.seq) + " has no valid hash");
            head.hash = *hash;
        }
        const std::string checkpoint_size =
            query_text(db_, "SELECT coalesce(max(tree_size), 0) FROM audit_checkpoints", error, message);
        if (error) return error;
        head.checkpoint_size = count_of(checkpoint_size);
        return {};
    }

    // The head was read at open and is kept in memory: this process is the file's only writer.
    std::error_code begin(AuditChain&, std::string& message) override {
        if (auto error = run(begin_, message)) {
            message = "cannot begin a transaction: " + message;
            return error;
        }
        return {};
    }
    std::error_code commit(const AuditChain&, std::string& message) override {
        if (auto error = run(commit_, message)) {
            message = "commit failed: " + message;
            return error;
        }
        return {};
    }
    void rollback() noexcept override {
        if (!sqlite3_get_autocommit(db_)) run(rollback_);
    }
    std::error_code savepoint(std::string& message) { return run(savepoint_, message); }
    std::error_code release_savepoint(std::string& message) { return run(release_, message); }
    // SQLite abandons the whole transaction on an I/O error or a full disk: then
    // there is no savepoint left to go back to.
    bool rollback_to_savepoint() noexcept override {
        return !sqlite3_get_autocommit(db_) && run(rollback_to_) && run(release_);
    }

    std::error_code insert_message(const StoredMessage& stored, bool& inserted,
                                                      std::string& message) override {
        StatementUse use(insert_message_);
        use->bind_text(1, stored.id);
        use->bind_text(2, stored.sender);
        use->bind_text(3, stored.client);
        use->bind_text_or_null(4, stored.idempotency_key);
        use->bind_text(5, stored.received_at);
        use->bind_text(6, stored.source_format);
        use->bind_text(7, stored.content_type);
        use->bind_blob(8, stored.payload);
        use->bind_text(9, stored.canonical);
        use->bind_text(10, stored.outcome);
        use->bind_text_or_null(11, stored.nhs_number);
        use->bind_text_or_null(12, stored.referral_id);
        if (use->step() != SQLITE_DONE) {
            message = sqlite3_errmsg(db_);
            return sqlite_error(sqlite3_extended_errcode(db_));
        }
        inserted = sqlite3_changes(db_) == 1;
        return {};
    }
    std::error_code find_original(const StoredMessage& stored, MessageResult& original,
                                                     std::string& message) override {
        StatementUse use(find_original_);
        use->bind_text(1, stored.sender);
        use->bind_text(2, stored.idempotency_key);
        if (use->step() != SQLITE_ROW) {
            message = sqlite3_errmsg(db_);
            return sqlite_error(sqlite3_extended_errcode(db_));
        }
        original = MessageResult{use->column_text(0), true, use->column_text(1)};
        return {};
    }
    std::error_code insert_outbox_item(const OutboxItem& item, std::string_view id,
                                                          std::string_view idempotency_key, std::string& message) override {
        StatementUse use(insert_outbox_);
        use->bind_text(1, id);
        use->bind_text(2, item.message_id);
        use->bind_text(3, item.recipient);
        use->bind_text(4, item.recipient_ods);
        use->bind_text(5, item.service);
        use->bind_text(6, item.format);
        use->bind_blob(7, item.payload);
        use->bind_text(8, item.content_type);
        use->bind_text(9, idempotency_key);
        use->bind_text_or_null(10, item.endpoint_url);
        use->bind_text_or_null(11, item.created_at);
        use->bind_text(12, to_string(item.state));
        use->bind_int64(13, item.attempts);
        use->bind_int64(14, millis_of(item.next_attempt_at));
        use->bind_text_or_null(15, item.last_error);
        if (use->step() != SQLITE_DONE) {
            message = sqlite3_errmsg(db_);
            return sqlite_error(sqlite3_extended_errcode(db_));
        }
        return {};
    }
    std::error_code update_outbox_item(const OutboxUpdate& update, std::string_view only_from,
                                                          bool& applied, std::string& message) override {
        StatementUse use(update_outbox_);
        use->bind_text(1, update.id);
        use->bind_text(2, to_string(update.state));
        if (update.attempts)
            use->bind_int64(3, *update.attempts);
        else
            use->bind_text_or_null(3, {});
        if (update.next_attempt_at)
            use->bind_int64(4, millis_of(*update.next_attempt_at));
        else
            use->bind_text_or_null(4, {});
        if (update.last_error)
            use->bind_text(5, *update.last_error);
        else
            use->bind_text_or_null(5, {});
        use->bind_text(6, only_from);
        if (use->step() != SQLITE_DONE) {
            message = sqlite3_errmsg(db_);
            return sqlite_error(sqlite3_extended_errcode(db_));
        }
        applied = sqlite3_changes(db_) == 1;
        return {};
    }
    std::error_code insert_history(const HistoryEntry& entry, std::string_view time,
                                                      std::string& message) override {
        StatementUse use(insert_history_);
        use->bind_text(1, entry.message_id);
        use->bind_text(2, entry.organisation);
        use->bind_text(3, entry.service);
        use->bind_text(4, entry.status);
        use->bind_text(5, entry.reason);
        use->bind_text(6, time);
        if (use->step() != SQLITE_DONE) {
            message = sqlite3_errmsg(db_);
            return sqlite_error(sqlite3_extended_errcode(db_));
        }
        return {};
    }
    std::error_code insert_triage_item(const TriageItem& item, std::string_view time, std::string& message) override {
        StatementUse use(insert_triage_);
        use->bind_text(1, item.message_id);
        use->bind_text(2, item.kind);
        use->bind_text(3, item.reason);
        use->bind_text(4, time);
        if (use->step() != SQLITE_DONE) {
            message = sqlite3_errmsg(db_);
            return sqlite_error(sqlite3_extended_errcode(db_));
        }
        return {};
    }
    std::error_code update_triage_item(const TriageUpdate& update, std::string_view time, bool& applied,
                                       std::string& message) override {
        StatementUse use(update_triage_);
        use->bind_text(1, update.message_id);
        use->bind_text(2, to_string(update.state));
        use->bind_text(3, update.organisation);
        use->bind_text(4, update.service);
        use->bind_text(5, update.return_reason);
        use->bind_text(6, time);
        if (use->step() != SQLITE_DONE) {
            message = sqlite3_errmsg(db_);
            return sqlite_error(sqlite3_extended_errcode(db_));
        }
        applied = sqlite3_changes(db_) == 1;
        return {};
    }
    std::error_code set_escalation_timer(const EscalationTimer& timer, std::string& message) override {
        StatementUse use(set_timer_);
        use->bind_text(1, timer.message_id);
        use->bind_text(2, timer.due_at);
        if (use->step() != SQLITE_DONE) {
            message = sqlite3_errmsg(db_);
            return sqlite_error(sqlite3_extended_errcode(db_));
        }
        return {};
    }
    std::error_code end_escalation_timer(std::string_view message_id, bool only_pending, bool& ended,
                                                            std::string& message) override {
        Statement& statement = only_pending ? fire_timer_ : end_timer_;
        StatementUse use(statement);
        use->bind_text(1, message_id);
        if (use->step() != SQLITE_DONE) {
            message = sqlite3_errmsg(db_);
            return sqlite_error(sqlite3_extended_errcode(db_));
        }
        ended = sqlite3_changes(db_) == 1;
        return {};
    }
    std::error_code purge_payloads(std::string_view before, PurgeCounts& counts,
                                                      std::string& message) override {
        return store::purge_payloads(db_, before, counts, message);
    }
    std::error_code insert_audit_entry(std::uint64_t seq, const audit::EntryText& entry,
                                                          std::string_view hash_hex, const audit::Hash& leaf,
                                                          std::string& message) override {
        StatementUse use(insert_entry_);
        use->bind_int64(1, static_cast<std::int64_t>(seq));
        use->bind_text(2, entry.time);
        use->bind_text(3, entry.action);
        use->bind_text_or_null(4, entry.actor_organisation);
        use->bind_text_or_null(5, entry.actor_client);
        use->bind_text_or_null(6, entry.actor_role);
        use->bind_text_or_null(7, entry.patient);
        use->bind_text_or_null(8, entry.message_id);
        use->bind_text_or_null(9, entry.referral_id);
        use->bind_text_or_null(10, entry.recipient);
        use->bind_text_or_null(11, entry.purpose);
        use->bind_text_or_null(12, entry.lawful_basis);
        use->bind_text_or_null(13, entry.consent_reference);
        use->bind_text_or_null(14, entry.outcome);
        use->bind_text_or_null(15, entry.detail);
        use->bind_text(16, entry.previous_hash);
        use->bind_text(17, hash_hex);
        use->bind_blob(18, audit::as_bytes(leaf));
        if (use->step() != SQLITE_DONE) {
            message = sqlite3_errmsg(db_);
            return sqlite_error(sqlite3_extended_errcode(db_));
        }
        return {};
    }
    std::error_code insert_audit_checkpoint(const audit::Checkpoint& checkpoint,
                                                               std::string_view root_hex, bool& inserted,
                                                               std::string& message) override {
        StatementUse use(insert_checkpoint_);
        use->bind_int64(1, static_cast<std::int64_t>(checkpoint.tree_size));
        use->bind_text(2, root_hex);
        use->bind_text(3, checkpoint.time);
        use->bind_text(4, checkpoint.signature);
        use->bind_text(5, checkpoint.key_id);
        if (use->step() != SQLITE_DONE) {
            message = sqlite3_errmsg(db_);
            return sqlite_error(sqlite3_extended_errcode(db_));
        }
        inserted = sqlite3_changes(db_) == 1;
        return {};
    }

private:
    // Runs a statement that returns no rows; the error with SQLite's words.
    std::error_code run(Statement& statement, std::string& message) {
        StatementUse use(statement);
        if (use->step() == SQLITE_DONE) return {};
        message = sqlite3_errmsg(db_);
        return sqlite_error(sqlite3_extended_errcode(db_));
    }
    bool run(Statement& statement) noexcept {
        StatementUse use(statement);
        return use->step() == SQLITE_DONE;
    }

    sqlite3* db_ = nullptr;
    Statement begin_, commit_, rollback_, savepoint_, release_, rollback_to_;
    Statement insert_message_, find_original_;
    Statement insert_outbox_, update_outbox_;
    Statement insert_history_, set_timer_, end_timer_, fire_timer_;
    Statement insert_triage_, update_triage_;
    Statement insert_entry_, insert_checkpoint_;
};

}  // namespace

std::unique_ptr<WriteTransaction> open_sqlite_transaction(sqlite3* db, AuditChain::Head& head,
                                                          std::error_code& error, std::string& message) {
    auto transaction = std::make_unique<SqliteTransaction>();
    if ((error = transaction->prepare(db, message))) {
        message = "cannot prepare the store's statements: " + message;
        return nullptr;
    }
    if ((error = transaction->load_chain_head(head, message))) return nullptr;
    return transaction;
}

}  // namespace carebridge::gateway::store
