#pragma once
// One write set applied inside its own savepoint, the same on every backend:
// the messages first (an idempotent repeat answers with its original and
// leaves out its outbox rows, timers and audit events), then outbox rows and
// updates, history, escalation timers, a retention purge with its `purged`
// entry, the audit entries and a checkpoint. The statements are the
// backend's (write_transaction.hpp).

#include <string>
#include <system_error>

#include "store/audit_chain.hpp"
#include "store/store.hpp"
#include "store/write_transaction.hpp"

namespace carebridge::gateway::store {

// A result that stored nothing. Never throws: a short message fits the
// string's own buffer.
CommitResult failed_commit(std::error_code error, std::string message) noexcept;

// Applies `writes`; on any error the savepoint is rolled back and the result
// says why. `transaction_lost` is set when the whole transaction went with it
// (an I/O error, a full disk, a lost connection): the batch then fails.
// Outbox ids come from ids::random_uuid(); when the CSPRNG fails the write
// set is refused rather than stored under a predictable id.
CommitResult apply_write_set(const WriteSet& writes, WriteTransaction& transaction, AuditChain& chain,
                             bool& transaction_lost);

}  // namespace carebridge::gateway::store
