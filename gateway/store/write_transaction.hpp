#pragma once
// What the shared writer (group_commit.hpp, write_set_apply.hpp) asks of a
// backend: one open transaction on the writer's connection, its savepoints,
// and one statement per kind of row a write set holds. Everything else —
// batching, the order rows are written in, idempotent repeats, the audit
// chain — is decided once, above this line; a backend holds only its SQL.
// Each call returns an error with `message` (SQL's own words, never patient
// data) when the statement failed; the caller then rolls the savepoint back.

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "audit/checkpoint.hpp"
#include "audit/entry_bytes.hpp"
#include "audit/hash.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::store {

class AuditChain;

// What a retention purge emptied (WriteSet::purge_payloads_before).
struct PurgeCounts {
    std::uint64_t messages = 0;      // messages whose payload and record were emptied
    std::uint64_t outbox_items = 0;  // delivered, acknowledged or dead copies emptied
};

class WriteTransaction {
public:
    virtual ~WriteTransaction() = default;

    // ---- a batch's transaction ----
    // Begins it. A backend whose chain head lives in the database (several
    // instances on one PostgreSQL) locks and loads it into `chain` here.
    virtual std::error_code begin(AuditChain& chain, std::string& message) = 0;
    // Makes it durable; a backend that keeps the head in the database writes
    // it back first when `chain` moved.
    virtual std::error_code commit(const AuditChain& chain, std::string& message) = 0;
    // Ends a transaction that failed, if one is still open. Never throws.
    virtual void rollback() noexcept = 0;
    // True when `error` (of the last batch) means the connection went away,
    // not that the commit failed: readiness then follows the server.
    virtual bool connection_lost(std::error_code /*error*/) const { return false; }

    // ---- a write set's savepoint ----
    virtual std::error_code savepoint(std::string& message) = 0;
    virtual std::error_code release_savepoint(std::string& message) = 0;
    // Undoes the write set alone; false when the whole transaction went with it.
    virtual bool rollback_to_savepoint() noexcept = 0;

    // ---- the statements ----
    // Inserts the message unless its sender's idempotency key is stored
    // already; `inserted` says which.
    virtual std::error_code insert_message(const StoredMessage& stored, bool& inserted, std::string& message) = 0;
    // The message stored earlier under `stored`'s sender and idempotency key.
    virtual std::error_code find_original(const StoredMessage& stored, MessageResult& original,
                                          std::string& message) = 0;
    // Inserts an outbox row with `id` and `idempotency_key` in place of the item's own.
    virtual std::error_code insert_outbox_item(const OutboxItem& item, std::string_view id,
                                               std::string_view idempotency_key, std::string& message) = 0;
    // `only_from`: the states the item may be in, comma-led and -trailed
    // (",pending,dead,"); empty: any. `applied`: a row changed.
    virtual std::error_code update_outbox_item(const OutboxUpdate& update, std::string_view only_from,
                                               bool& applied, std::string& message) = 0;
    virtual std::error_code insert_history(const HistoryEntry& entry, std::string_view time,
                                           std::string& message) = 0;
    // Inserts a triage item stamped `time`.
    virtual std::error_code insert_triage_item(const TriageItem& item, std::string_view time,
                                               std::string& message) = 0;
    // Applies `update` to the item while it is open; `applied`: it was.
    virtual std::error_code update_triage_item(const TriageUpdate& update, std::string_view time, bool& applied,
                                               std::string& message) = 0;
    // A timer once set keeps its first due time.
    virtual std::error_code set_escalation_timer(const EscalationTimer& timer, std::string& message) = 0;
    // Ends the message's timer; with `only_pending`, only one still pending.
    // `ended`: a timer changed.
    virtual std::error_code end_escalation_timer(std::string_view message_id, bool only_pending, bool& ended,
                                                 std::string& message) = 0;
    virtual std::error_code purge_payloads(std::string_view before, PurgeCounts& counts, std::string& message) = 0;
    virtual std::error_code insert_audit_entry(std::uint64_t seq, const audit::EntryText& entry,
                                               std::string_view hash_hex, const audit::Hash& leaf,
                                               std::string& message) = 0;
    // `inserted`: false when a checkpoint of that size was there already.
    virtual std::error_code insert_audit_checkpoint(const audit::Checkpoint& checkpoint, std::string_view root_hex,
                                                    bool& inserted, std::string& message) = 0;
};

}  // namespace carebridge::gateway::store
