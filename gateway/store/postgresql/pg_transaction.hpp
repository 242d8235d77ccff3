#pragma once
// The PostgreSQL backend's side of the shared writer (store/write_transaction.hpp):
// its statements, prepared on the writer's connection (and again after a
// reconnect), and the audit chain head every instance shares. The head is a
// one-row table (audit_chain_head, pg_schema.cpp) that each writing
// transaction locks with SELECT … FOR UPDATE before anything else: the
// instance holding it reads the last seq, hash and Merkle frontier, appends
// after them and writes the new head back in the same commit, so seqs stay
// gapless and every entry links to the one committed before it, whichever
// instance wrote that. Instances' write transactions take turns; each is a
// group commit of many requests, so the turn is taken once per batch, not per
// request (README: "Scaling out on PostgreSQL").

#include <memory>
#include <string>
#include <system_error>

#include "store/audit_chain.hpp"
#include "store/postgresql/pg_connection.hpp"
#include "store/write_transaction.hpp"

namespace carebridge::gateway::store {

// The writer's statements registered on `db` (migrated, the writer's, which
// must outlive the result).
std::unique_ptr<WriteTransaction> open_pg_transaction(PgConnection& db, std::error_code& error, std::string& message);

}  // namespace carebridge::gateway::store
