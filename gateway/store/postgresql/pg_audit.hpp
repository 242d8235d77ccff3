#pragma once
// The audit log in the PostgreSQL store: one log for every gateway instance
// on the database. The writer's side is store/audit_chain.hpp over
// pg_transaction.hpp (which says how the instances share the chain head);
// here are the signing keys' record, the readers' queries and the read-only
// pass `carebridge audit verify` makes.

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
#include "store/postgresql/pg_connection.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::store {

// Records the public half of the signing key (id, PEM, first use) so the
// database names every key its checkpoints were signed with: the instances
// share one key, and a rotation adds the next.
std::error_code record_signing_key(PgConnection& db, const audit::PublicKey& key, std::string& message);

// Every key the database recorded (record_signing_key), added to `keys`.
std::error_code add_recorded_signing_keys(PgConnection& db, audit::TrustedKeys& keys, std::string& message);

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
audit::LogVerification verify_audit_postgresql(const std::string& url, const audit::TrustedKeys& keys,
                                               const AuditVerifyProgress& progress = {});

}  // namespace carebridge::gateway::store
