#pragma once
// Retention: after the configured period a message's payloads — the original
// bytes, the canonical record, and the copies already delivered to partners —
// are emptied, while the message row (ids, sender, times) and every audit
// entry about it stay. The purge runs on the writer inside a write set, and
// the writer records it as a `purged` audit entry in the same transaction.

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "store/write_transaction.hpp"

namespace carebridge::gateway::store {

// Empties what was received before `before` (an instant, UTC, as the store
// writes them). Pending deliveries keep their payload until they are sent.
std::error_code purge_payloads(sqlite3* db, std::string_view before, PurgeCounts& counts, std::string& message);

}  // namespace carebridge::gateway::store
