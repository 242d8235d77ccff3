#pragma once
// The audit log in the SQLite store: the readers' queries and the read-only
// pass `carebridge audit verify` makes over the file. The writer's side is
// store/audit_chain.hpp over sqlite_transaction.hpp. The tables are
// migration 2 (sqlite_schema.cpp); what is hashed is audit/entry_bytes.hpp.

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
#include "store/sqlite/sqlite_connection.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::store {

// A reader connection's audit statements, prepared once, and the queries
// that use them.
class AuditReads {
public:
    std::error_code prepare(sqlite3* db, std::string& message);

    std::optional<audit::Checkpoint> latest_checkpoint(std::error_code& error);
    std::optional<audit::Checkpoint> checkpoint_at(std::uint64_t tree_size, std::error_code& error);
    // Leaf hashes of entries first_seq..last_seq (inclusive) in order;
    // shorter when the log ends first.
    std::vector<audit::Hash> leaf_hashes(std::uint64_t first_seq, std::uint64_t last_seq, std::error_code& error);

private:
    Statement latest_checkpoint_, checkpoint_at_, leaf_hashes_;
};

// Entries matching `query` (its filters ANDed), one page; built per query.
std::vector<audit::AuditEntry> find_audit_entries(sqlite3* db, const audit::AuditQuery& query, std::error_code& error);

// `carebridge audit verify`: opens `database` read-only (no migrations, no
// writes) and checks the whole log with audit::verify_log inside one read
// transaction, so a gateway appending meanwhile cannot make it see half a
// commit. Each checkpoint is checked with the key of `keys` it names (a log
// whose signing key was rotated); `keys` may be empty when there are no
// checkpoints. A file that cannot be opened or holds no audit log is
// LogStatus::unreadable.
audit::LogVerification verify_audit_file(const std::string& database, const audit::TrustedKeys& keys,
                                         const AuditVerifyProgress& progress = {});

}  // namespace carebridge::gateway::store
