#include "store/postgresql/pg_transaction.hpp"

#include <string_view>

#include "store/outbox_rows.hpp"

namespace carebridge::gateway::store {
namespace {

// The head's stored form is not what the gateway writes: edited by hand.
std::error_code corrupt(std::string& message, std::string what) {
    message = std::move(what) + "; run carebridge audit verify";
    return std::make_error_code(std::errc::bad_message);
}

std::uint64_t changed_rows(const Result& result) {
    return std::stoull(std::string("0") + PQcmdTuples(result.get()));
}

class PgTransaction final : public WriteTransaction {
public:
    // Registers the statements on `db` (migrated, the writer's), which must outlive this.
    std::error_code prepare(PgConnection& db, std::string& message) {
        db_ = &db;
        const std::pair<const char*, const char*> statements[] = {
            {"message_insert",
             "INSERT INTO messages (id, sender, client, idempotency_key, received_at, source_format, content_type, "
             "payload, canonical, outcome, nhs_number, referral_id) "
             "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
             "ON CONFLICT (sender, idempotency_key) DO NOTHING RETURNING id"},
            {"message_original", "SELECT id, outcome FROM messages WHERE sender = $1 AND idempotency_key = $2"},
            {"history_insert",
             "INSERT INTO referral_history (message_id, organisation, service, status, reason, time) "
             "VALUES ($1, $2, $3, $4, $5, $6)"},
            {"triage_insert",
             "INSERT INTO triage (message_id, kind, reason, state, created_at, updated_at) "
             "VALUES ($1, $2, $3, 'open', $4, $4)"},
            // The row lock orders two instances disposing of one item: the
            // second finds it no longer open.
            {"triage_update",
             "UPDATE triage SET state = $2, organisation = $3, service = $4, return_reason = $5, updated_at = $6 "
             "WHERE message_id = $1 AND state = 'open'"},
            // DO NOTHING: a timer once set keeps its first due time.
            {"escalation_set",
             "INSERT INTO escalation_timers (message_id, due_at, state) VALUES ($1, $2, 'pending') "
             "ON CONFLICT (message_id) DO NOTHING"},
            {"escalation_done", "UPDATE escalation_timers SET state = 'done' WHERE message_id = $1"},
            {"escalation_fire",
             "UPDATE escalation_timers SET state = 'done' WHERE message_id = $1 AND state = 'pending' "
             "RETURNING message_id"},
            // The id is given (a random UUID, store/write_set_apply.cpp); gen_random_uuid() stands behind it.
            {"outbox_insert",
             "INSERT INTO outbox (id, message_id, recipient, recipient_ods, service, format, payload, content_type, "
             "idempotency_key, endpoint_url, created_at, state, attempts, next_attempt_at, last_error, updated_at) "
             "VALUES (coalesce($1, gen_random_uuid()::text), $2, $3, $4, $5, $6, $7, $8, $9, $10, "
             "coalesce($11, carebridge_now()), $12, $13, $14, $15, carebridge_now()) RETURNING id"},
            // $6 lists the states the item may be in (write_transaction.hpp); NULL
            // in $3..$5 leaves the column as it is. Recording an attempt gives the claim up.
            {"outbox_update",
             "UPDATE outbox SET state = $2, attempts = coalesce($3::bigint, attempts), "
             "next_attempt_at = coalesce($4::bigint, next_attempt_at), "
             "last_error = CASE WHEN $5::text IS NULL THEN last_error ELSE nullif($5::text, '') END, "
             "updated_at = carebridge_now(), claimed_by = NULL, lease_until = NULL "
             "WHERE id = $1 AND ($6::text = '' OR position(',' || state || ',' in $6::text) > 0)"},
            {"audit_lock_head",
             "SELECT seq, hash, frontier, checkpoint_size FROM audit_chain_head WHERE id = 1 FOR UPDATE"},
            {"audit_save_head",
             "UPDATE audit_chain_head SET seq = $1, hash = $2, frontier = $3, checkpoint_size = $4 WHERE id = 1"},
            {"audit_insert_entry",
             "INSERT INTO audit_entries (seq, time, action, actor_organisation, actor_client, actor_role, patient, "
             "message_id, referral_id, recipient, purpose, lawful_basis, consent_reference, outcome, detail, "
             "previous_hash, hash, leaf_hash) "
             "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"},
            {"audit_insert_checkpoint",
             "INSERT INTO audit_checkpoints (tree_size, root_hash, time, signature, key_id) "
             "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tree_size) DO NOTHING"},
        };
        for (const auto& [name, sql] : statements)
            if (auto error = db.prepare(name, sql, message)) return error;
        return {};
    }

    // Reconnects when the server went away, begins, then locks and loads the
    // chain head: first in every transaction, before any savepoint (rolling
    // back to a savepoint would give a row lock taken inside it back).
    std::error_code begin(AuditChain& chain, std::string& message) override {
        std::error_code error;
        // A server that went away is reconnected to here, at the next batch.
        if (!db_->ensure(error, message)) {
            message = "cannot reach PostgreSQL: " + message;
            return error;
        }
        if ((error = db_->execute("BEGIN", message))) {
            message = "cannot begin a transaction: " + message;
            return error;
        }
        if ((error = lock_head(chain, message))) message = "cannot lock the audit log's chain head: " + message;
        return error;
    }

    // Writes the head back when the transaction appended or signed, then commits.
    std::error_code commit(const AuditChain& chain, std::string& message) override {
        std::error_code error;
        if (chain.moved()) {
            const AuditChain::Head& head = chain.head();
            const std::string hash = audit::to_hex(head.hash);
            const std::string frontier = head.tree.frontier();
            Params params;
            params.integer(static_cast<std::int64_t>(head.seq))
                .text(hash)
                .binary(frontier)
                .integer(static_cast<std::int64_t>(head.checkpoint_size));
            db_->run("audit_save_head", params, error, message);
            if (error) {
                message = "cannot move the audit log's chain head: " + message;
                return error;
            }
        }
        if ((error = db_->execute("COMMIT", message))) message = "commit failed: " + message;
        return error;
    }
    void rollback() noexcept override {
        if (!db_->broken() && db_->in_transaction()) {
            std::string ignored;
            db_->execute("ROLLBACK", ignored);
        }
    }
    bool connection_lost(std::error_code error) const override {
        return db_->broken() || error == std::errc::io_error;
    }
    std::error_code savepoint(std::string& message) { return db_->execute("SAVEPOINT write_set", message); }
    std::error_code release_savepoint(std::string& message) override {
        return db_->execute("RELEASE SAVEPOINT write_set", message);
    }
    bool rollback_to_savepoint() noexcept override {
        std::string ignored;
        return !db_->broken() && !db_->execute("ROLLBACK TO SAVEPOINT write_set", ignored) &&
               !db_->execute("RELEASE SAVEPOINT write_set", ignored);
    }

    std::error_code insert_message(const StoredMessage& stored, bool& inserted, std::string& message) override {
        Params params;
        params.text(stored.id)
            .text(stored.sender)
            .text(stored.client)
            .text_or_null(stored.idempotency_key)
            .text(stored.received_at)
            .text(stored.source_format)
            .text(stored.content_type)
            .binary(stored.payload)
            .text(stored.canonical)
            .text(stored.outcome)
            .text_or_null(stored.nhs_number)
            .text_or_null(stored.referral_id);
        std::error_code error;
        Result row = db_->run("message_insert", params, error, message);
        if (!error) inserted = PQntuples(row.get()) == 1;
        return error;
    }
    // The chain head lock orders the instances' transactions, so the original is
    // committed or earlier in this one.
    std::error_code find_original(const StoredMessage& stored, MessageResult& original,
                                                 std::string& message) override {
        Params key;
        key.text(stored.sender).text(stored.idempotency_key);
        std::error_code error;
        Result row = db_->run("message_original", key, error, message);
        if (error) return error;
        if (PQntuples(row.get()) != 1) {
            message = "an idempotency key conflicted but its message cannot be found";
            return std::make_error_code(std::errc::bad_message);
        }
        original = MessageResult{text_at(row.get(), 0, 0), true, text_at(row.get(), 0, 1)};
        return {};
    }
    std::error_code insert_outbox_item(const OutboxItem& item, std::string_view id,
                                                      std::string_view idempotency_key, std::string& message) override {
        Params params;
        params.text_or_null(id)
            .text(item.message_id)
            .text(item.recipient)
            .text(item.recipient_ods)
            .text(item.service)
            .text(item.format)
            .binary(item.payload)
            .text(item.content_type)
            .text(idempotency_key)
            .text_or_null(item.endpoint_url)
            .text_or_null(item.created_at)
            .text(to_string(item.state))
            .integer(item.attempts)
            .integer(millis_of(item.next_attempt_at))
            .text_or_null(item.last_error);
        std::error_code error;
        db_->run("outbox_insert", params, error, message);
        return error;
    }
    std::error_code update_outbox_item(const OutboxUpdate& update, std::string_view only_from,
                                                      bool& applied, std::string& message) override {
        Params params;
        params.text(update.id).text(to_string(update.state));
        if (update.attempts)
            params.integer(*update.attempts);
        else
            params.null();
        if (update.next_attempt_at)
            params.integer(millis_of(*update.next_attempt_at));
        else
            params.null();
        if (update.last_error)
            params.text(*update.last_error);
        else
            params.null();
        params.text(only_from);
        std::error_code error;
        Result result = db_->run("outbox_update", params, error, message);
        if (!error) applied = changed_rows(result) == 1;
        return error;
    }
    std::error_code insert_history(const HistoryEntry& entry, std::string_view time,
                                                  std::string& message) override {
        Params params;
        params.text(entry.message_id).text(entry.organisation).text(entry.service).text(entry.status).text(entry.reason);
        params.text(time);
        std::error_code error;
        db_->run("history_insert", params, error, message);
        return error;
    }
    std::error_code insert_triage_item(const TriageItem& item, std::string_view time, std::string& message) override {
        Params params;
        params.text(item.message_id).text(item.kind).text(item.reason).text(time);
        std::error_code error;
        db_->run("triage_insert", params, error, message);
        return error;
    }
    std::error_code update_triage_item(const TriageUpdate& update, std::string_view time, bool& applied,
                                       std::string& message) override {
        Params params;
        params.text(update.message_id).text(to_string(update.state)).text(update.organisation).text(update.service);
        params.text(update.return_reason).text(time);
        std::error_code error;
        Result result = db_->run("triage_update", params, error, message);
        if (!error) applied = changed_rows(result) == 1;
        return error;
    }
    std::error_code set_escalation_timer(const EscalationTimer& timer, std::string& message) override {
        Params params;
        params.text(timer.message_id).text(timer.due_at);
        std::error_code error;
        db_->run("escalation_set", params, error, message);
        return error;
    }
    std::error_code end_escalation_timer(std::string_view message_id, bool only_pending, bool& ended,
                                                        std::string& message) override {
        Params params;
        params.text(message_id);
        std::error_code error;
        Result result = db_->run(only_pending ? "escalation_fire" : "escalation_done", params, error, message);
        if (!error) ended = changed_rows(result) == 1;
        return error;
    }
    std::error_code purge_payloads(std::string_view before, PurgeCounts& counts, std::string& message) override {
        Params params;
        params.text(before);
        std::error_code error;
        Result messages = db_->query(
            "UPDATE messages SET payload = ''::bytea, canonical = '' "
            "WHERE received_at < $1 AND (length(payload) > 0 OR length(canonical) > 0)",
            params, error, message);
        if (!error) {
            Result outbox = db_->query(
                "UPDATE outbox SET payload = ''::bytea WHERE created_at < $1 AND length(payload) > 0 "
                "AND state IN ('delivered', 'acknowledged', 'dead')",
                params, error, message);
            if (!error) {
                counts.messages = changed_rows(messages);
                counts.outbox_items = changed_rows(outbox);
                return {};
            }
        }
        message = "the purge failed: " + message;
        return error;
    }
    std::error_code insert_audit_entry(std::uint64_t seq, const audit::EntryText& entry,
                                                      std::string_view hash_hex, const audit::Hash& leaf,
                                                      std::string& message) override {
        Params params;
        params.integer(static_cast<std::int64_t>(seq)).text(entry.time).text(entry.action);
        for (std::string_view field : {entry.actor_organisation, entry.actor_client, entry.actor_role, entry.patient,
                                       entry.message_id, entry.referral_id, entry.recipient, entry.purpose,
                                       entry.lawful_basis, entry.consent_reference, entry.outcome, entry.detail})
            params.text_or_null(field);
        params.text(entry.previous_hash).text(hash_hex).binary(audit::as_bytes(leaf));
        std::error_code error;
        db_->run("audit_insert_entry", params, error, message);
        return error;
    }
    std::error_code insert_audit_checkpoint(const audit::Checkpoint& checkpoint, std::string_view root_hex,
                                                           bool& inserted, std::string& message) override {
        Params params;
        params.integer(static_cast<std::int64_t>(checkpoint.tree_size))
            .text(root_hex)
            .text(checkpoint.time)
            .text(checkpoint.signature)
            .text(checkpoint.key_id);
        std::error_code error;
        Result result = db_->run("audit_insert_checkpoint", params, error, message);
        if (!error) inserted = changed_rows(result) == 1;
        return error;
    }

private:
    std::error_code lock_head(AuditChain& chain, std::string& message) {
        std::error_code error;
        Result row = db_->run("audit_lock_head", {}, error, message);
        if (error) return error;
        if (PQntuples(row.get()) != 1) return corrupt(message, "the audit log's chain head is missing");
        AuditChain::Head head;
        head.seq = static_cast<std::uint64_t>(int_at(row.get(), 0, 0));
        const auto hash = audit::hash_from_hex(view_at(row.get(), 0, 1));
        auto tree = audit::MerkleAccumulator::resume(head.seq, bytes_at(row.get(), 0, 2));
        if (!hash || !tree) return corrupt(message, "the audit log's chain head is not well formed");
        head.hash = *hash;
        head.tree = *tree;
        head.checkpoint_size = static_cast<std::uint64_t>(int_at(row.get(), 0, 3));
        chain.load(head);
        return {};
    }

    PgConnection* db_ = nullptr;
};

}  // namespace

std::unique_ptr<WriteTransaction> open_pg_transaction(PgConnection& db, std::error_code& error, std::string& message) {
    auto transaction = std::make_unique<PgTransaction>();
    if ((error = transaction->prepare(db, message))) return nullptr;
    return transaction;
}

}  // namespace carebridge::gateway::store
