#pragma once
// The gateway's durable store: one interface, the embedded SQLite file now and
// PostgreSQL for several instances later (DESIGN.md). Everything SQL lives
// behind it. A write set — the accepted message, later its outbox rows and
// audit entries — is committed in one transaction, and the reply is sent only
// after that commit is durable. Under load the store groups many write sets
// into one transaction so one fsync serves many requests.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "audit/audit_event.hpp"
#include "audit/audit_query.hpp"
#include "audit/checkpoint.hpp"
#include "audit/hash.hpp"

namespace carebridge::gateway::store {

// One accepted message: the original bytes as they arrived and the canonical
// record, so it can be reprocessed after a mapping fix.
struct StoredMessage {
    std::string id;               // gateway-assigned (UUID), the {id} of /referrals/{id}
    std::string sender;           // organisation id from the config, e.g. "trust"
    std::string client;           // API client or certificate that sent it
    std::string idempotency_key;  // empty: none; unique per sender
    std::string received_at;      // instant, UTC, e.g. 2026-11-23T05:30:00.123Z
    std::string source_format;    // "fhir", "carenotes" or "referral"
    std::string content_type;     // as received, e.g. application/fhir+json
    std::string payload;          // original bytes (for an export: this client's canonical form)
    std::string canonical;        // the record as compact partnership referral JSON
    std::string outcome;          // OperationOutcome JSON sent with the 201 (warnings), for an idempotent repeat
    std::string nhs_number;       // the person's, for retention and audit look-ups; empty when absent
    std::string referral_id;      // the sender's referral id; empty when absent
};

// What one request commits, all or nothing. Outbox rows and audit entries
// join the messages here so a disclosure and its record are one commit.
struct WriteSet {
    std::vector<StoredMessage> messages;
    // Audit log (gateway/audit/): appended in order after the messages, in
    // the same savepoint; a write set may hold events alone. An event whose
    // message_id is a message here that turns out an idempotent repeat is
    // left out: that message was not stored, so nothing it records happened.
    std::vector<audit::AuditEvent> audit;
    // Then sign a checkpoint of the whole log, if it grew since the last one.
    bool sign_audit_checkpoint = false;
};

struct MessageResult {
    std::string id;          // the stored id: the new one, or the original one on a repeat
    bool duplicate = false;  // the idempotency key was seen before; nothing was stored
    std::string outcome;     // on a repeat: the original's outcome
};

struct CommitResult {
    std::error_code error;                        // set: nothing of the write set was stored
    std::string error_message;                    // for the operator's log; never patient data
    std::vector<MessageResult> messages;          // index for index with WriteSet::messages
    std::vector<std::uint64_t> audit_seqs;        // index for index with WriteSet::audit; 0: left out (a repeat)
    std::optional<audit::Checkpoint> checkpoint;  // the one signed, when sign_audit_checkpoint asked and the log grew
};

// Store-wide figures for /metrics.
struct CommitObserver {
    // Called by the writer after each durable transaction.
    std::function<void(std::chrono::microseconds commit_time, std::size_t write_sets)> on_commit;
};

class Store {
public:
    using Done = std::function<void(CommitResult)>;
    virtual ~Store() = default;

    // Queues `writes`; `done` runs (on the store's writer thread) after the
    // transaction that holds it is durable, or failed. A commit refused at once
    // (queue full, store closed) runs `done` on the caller's thread, inside
    // this call. Never blocks on disk.
    virtual void commit(WriteSet writes, Done done) = 0;

    // Reads a message by its id. nullopt and no error when there is none.
    virtual std::optional<StoredMessage> find_message(std::string_view id, std::error_code& error) = 0;

    // ---- the audit log (gateway/audit/) ----
    // One page of entries matching every filter set in `query`.
    virtual std::vector<audit::AuditEntry> find_audit_entries(const audit::AuditQuery& query,
                                                              std::error_code& error) = 0;
    virtual std::optional<audit::Checkpoint> latest_audit_checkpoint(std::error_code& error) = 0;
    virtual std::optional<audit::Checkpoint> audit_checkpoint_at(std::uint64_t tree_size, std::error_code& error) = 0;
    // Leaf hashes of entries first_seq..last_seq inclusive, in order: the
    // Merkle leaves for proofs (audit/merkle.hpp). Shorter when the log ends first.
    virtual std::vector<audit::Hash> audit_leaf_hashes(std::uint64_t first_seq, std::uint64_t last_seq,
                                                       std::error_code& error) = 0;
    // The key checkpoints are signed with, for auditors to check them.
    virtual const audit::PublicKey& audit_public_key() const = 0;
    // Signs a checkpoint of the log as committed so far (periodically, and at
    // drain); `done` gets it in CommitResult::checkpoint, empty when the log
    // has not grown since the last one.
    void sign_audit_checkpoint(Done done) {
        WriteSet writes;
        writes.sign_audit_checkpoint = true;
        commit(std::move(writes), std::move(done));
    }

    // True when the store answers a query and its last commit did not fail.
    virtual bool ready() = 0;

    // Commits everything queued, then stops the writer. Idempotent.
    virtual void close() = 0;
};

struct SqliteOptions {
    std::string directory;             // holds carebridge.sqlite (+ -wal, -shm); created if missing
    std::size_t max_batch = 512;       // write sets per grouped transaction
    std::size_t max_queue = 65536;     // write sets waiting; past it commit() fails at once (503)
    std::size_t read_connections = 4;  // pooled readers (WAL lets them run beside the writer)
    // Signs audit checkpoints; empty: <directory>/audit-signing-key.pem, created on first open.
    std::string audit_signing_key;
    CommitObserver observer;
};

// Opens (creating and migrating) the SQLite store. nullptr with `error` and a
// one-line `message` when the directory or file cannot be used.
std::unique_ptr<Store> open_sqlite_store(const SqliteOptions& options, std::error_code& error, std::string& message);

}  // namespace carebridge::gateway::store
