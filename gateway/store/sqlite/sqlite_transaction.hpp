#pragma once
// The SQLite backend's side of the shared writer (store/write_transaction.hpp):
// its statements, prepared once on the writer's connection, and the audit
// chain head read from the file at open.

#include <sqlite3.h>

#include <memory>
#include <string>
#include <system_error>

#include "store/audit_chain.hpp"
#include "store/sqlite/sqlite_connection.hpp"
#include "store/write_transaction.hpp"

namespace carebridge::gateway::store {

// The writer's statements prepared on `db` (migrated, the writer's, which
// must outlive the result), and in `head` the chain head as the file holds
// it, read from every leaf hash once (about a second per 3 million entries).
// Only one process appends to a file (the gateway that serves it); a second
// writer's stale head would collide on seq and fail, never fork the log.
std::unique_ptr<WriteTransaction> open_sqlite_transaction(sqlite3* db, AuditChain::Head& head,
                                                          std::error_code& error, std::string& message);

}  // namespace carebridge::gateway::store
