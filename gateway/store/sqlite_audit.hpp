#pragma once
// The audit log in the SQLite store: the writer's side (appending entries
// inside a write set's savepoint and signing checkpoints), the readers'
// queries, and the read-only pass `carebridge audit verify` makes over the
// file. The tables are migration 2 (sqlite_schema.cpp); what is hashed is
// audit/entry_bytes.hpp.

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "audit/audit_event.hpp"
#include "audit/audit_query.hpp"
#include "audit/checkpoint.hpp"
#include "audit/log_verifier.hpp"
#include "audit/merkle.hpp"
#include "sqlite_connection.hpp"

namespace carebridge::gateway::store {

// The writer's end of the log. It keeps the chain head (last seq, last
// hash, the Merkle tree's subtree roots) in memory, loaded at open, so an
// append is two hashes and an INSERT. The head follows the transaction: the
// store marks it when a transaction or a write set's savepoint starts and
// puts it back when either rolls back, so a failed write set leaves no gap.
// Only one process appends to a file (the gateway that serves it); a second
// writer's stale head would collide on seq and fail, never fork the log.
class AuditAppender {
public:
    // Prepares statements on the writer's (migrated) connection and loads the
    // head by reading every leaf hash once (about a second per 3 million entries).
    std::error_code open(sqlite3* db, std::shared_ptr<const audit::SigningKey> key, std::string& message);

    void begin_transaction() { transaction_start_ = head_; }
    void rollback_transaction() { head_ = transaction_start_; }
    void begin_write_set() { write_set_start_ = head_; }
    void rollback_write_set() { head_ = write_set_start_; }

    // Appends `events` in order; `seqs` gets their sequence numbers, index
    // for index. An event naming one of `repeated_messages` (messages of the
    // write set that were idempotent repeats, so not stored) is not appended:
    // it recorded something that did not happen; its seq is 0. An event with
    // an empty time is stamped now. On an error (an event that is not well
    // formed, or SQLite's) the caller rolls the savepoint back.
    std::error_code append(const std::vector<audit::AuditEvent>& events,
                           const std::vector<std::string_view>& repeated_messages, std::vector<std::uint64_t>& seqs,
                           std::string& message);

    // Signs and stores a checkpoint of the log as it stands, when it has grown
    // since the last one; `signed_checkpoint` is left empty otherwise.
    std::error_code sign_checkpoint(std::optional<audit::Checkpoint>& signed_checkpoint, std::string& message);

    const audit::PublicKey& public_key() const { return key_->public_key(); }

private:
    struct Head {
        std::uint64_t seq = 0;
        audit::Hash hash{};  // all zeros before the first entry: the genesis link
        audit::MerkleAccumulator tree;
        std::uint64_t checkpoint_size = 0;
    };

    sqlite3* db_ = nullptr;
    std::shared_ptr<const audit::SigningKey> key_;
    Statement insert_entry_, insert_checkpoint_;
    Head head_, transaction_start_, write_set_start_;
    std::string canonical_;  // reused for every entry
};

// A reader connection's audit statements, prepared once.
struct AuditReads {
    Statement latest_checkpoint, checkpoint_at, leaf_hashes;

    std::error_code prepare(sqlite3* db, std::string& message);
};

// Entries matching `query` (its filters ANDed), one page.
std::vector<audit::AuditEntry> find_audit_entries(sqlite3* db, const audit::AuditQuery& query, std::error_code& error);
std::optional<audit::Checkpoint> latest_audit_checkpoint(AuditReads& reads, std::error_code& error);
std::optional<audit::Checkpoint> audit_checkpoint_at(AuditReads& reads, std::uint64_t tree_size,
                                                     std::error_code& error);
// Leaf hashes of entries first_seq..last_seq (inclusive) in order; shorter
// when the log ends first.
std::vector<audit::Hash> audit_leaf_hashes(AuditReads& reads, std::uint64_t first_seq, std::uint64_t last_seq,
                                           std::error_code& error);

// Progress of a verify pass: entries checked so far, of `total`.
using AuditVerifyProgress = std::function<void(std::uint64_t checked, std::uint64_t total)>;

// `carebridge audit verify`: opens `database` read-only (no migrations, no
// writes) and checks the whole log with audit::verify_log inside one read
// transaction, so a gateway appending meanwhile cannot make it see half a
// commit. `key` may be null when the log has no checkpoints. A file that
// cannot be opened or holds no audit log is LogStatus::unreadable.
audit::LogVerification verify_audit_file(const std::string& database, const audit::PublicKey* key,
                                         const AuditVerifyProgress& progress = {});
// The same, each checkpoint checked with the key of `keys` it names (a log
// whose signing key was rotated); `keys` may be empty when there are no checkpoints.
audit::LogVerification verify_audit_file(const std::string& database, const audit::TrustedKeys& keys,
                                         const AuditVerifyProgress& progress = {});

}  // namespace carebridge::gateway::store
