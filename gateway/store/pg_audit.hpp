#pragma once
// The audit log in the PostgreSQL store: one log for every gateway instance
// on the database. Appends are ordered by the chain head, a one-row table
// (audit_chain_head, pg_schema.cpp) that each writing transaction locks with
// SELECT … FOR UPDATE before anything else: the instance holding it reads
// the last seq, hash and Merkle frontier, appends after them and writes the
// new head back in the same commit, so seqs stay gapless and every entry
// links to the one committed before it, whichever instance wrote that. The
// cost is that instances' write transactions take turns; each is a group
// commit of many requests, so the turn is taken once per batch, not per
// request (README: "Scaling out on PostgreSQL").

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
#include "pg_connection.hpp"

namespace carebridge::gateway::store {

// The writer's end of the log, on the writer's connection.
class PgAuditAppender {
public:
    std::error_code prepare(PgConnection& db, std::shared_ptr<const audit::SigningKey> key, std::string& message);

    // Locks the chain head for this transaction and loads it; first in
    // every transaction, before any savepoint (rolling back to a savepoint
    // would give a row lock taken inside it back).
    std::error_code lock_head(std::string& message);
    // Writes the head back when the transaction appended or signed.
    std::error_code save_head(std::string& message);

    void begin_write_set() { write_set_start_ = head_; }
    void rollback_write_set() { head_ = write_set_start_; }

    // As AuditAppender::append (sqlite_audit.hpp).
    std::error_code append(const std::vector<audit::AuditEvent>& events,
                           const std::vector<std::string_view>& repeated_messages, std::vector<std::uint64_t>& seqs,
                           std::string& message);
    std::error_code sign_checkpoint(std::optional<audit::Checkpoint>& signed_checkpoint, std::string& message);

    const audit::PublicKey& public_key() const { return key_->public_key(); }

private:
    struct Head {
        std::uint64_t seq = 0;
        audit::Hash hash{};
        audit::MerkleAccumulator tree;
        std::uint64_t checkpoint_size = 0;
    };

    PgConnection* db_ = nullptr;
    std::shared_ptr<const audit::SigningKey> key_;
    Head head_, loaded_, write_set_start_;
    std::string canonical_;
};

// Records the public half of the signing key (id, PEM, first use) so the
// database names every key its checkpoints were signed with: the instances
// share one key, and a rotation adds the next.
std::error_code record_signing_key(PgConnection& db, const audit::PublicKey& key, std::string& message);

// Registers the readers' statements on a reader connection.
std::error_code prepare_audit_reads(PgConnection& db, std::string& message);
std::vector<audit::AuditEntry> find_audit_entries(PgConnection& db, const audit::AuditQuery& query,
                                                  std::error_code& error);
std::optional<audit::Checkpoint> latest_audit_checkpoint(PgConnection& db, std::error_code& error);
std::optional<audit::Checkpoint> audit_checkpoint_at(PgConnection& db, std::uint64_t tree_size,
                                                     std::error_code& error);
std::vector<audit::Hash> audit_leaf_hashes(PgConnection& db, std::uint64_t first_seq, std::uint64_t last_seq,
                                           std::error_code& error);

// `carebridge audit verify` on a postgresql:// store: reads the whole log in
// one REPEATABLE READ, READ ONLY transaction (a snapshot, however much the
// instances append meanwhile) through a cursor, in constant memory.
// Each checkpoint is checked with the key of `keys` it names (a rotated key
// verifies across the rotation); `keys` may be empty when there are none.
using PgAuditVerifyProgress = std::function<void(std::uint64_t checked, std::uint64_t total)>;
audit::LogVerification verify_audit_postgresql(const std::string& url, const audit::TrustedKeys& keys,
                                               const PgAuditVerifyProgress& progress = {});
// The same with one key; `key` may be null when there are no checkpoints.
audit::LogVerification verify_audit_postgresql(const std::string& url, const audit::PublicKey* key,
                                               const PgAuditVerifyProgress& progress = {});

}  // namespace carebridge::gateway::store
