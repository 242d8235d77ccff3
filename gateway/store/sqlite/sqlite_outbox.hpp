#pragma once
// The outbox in the SQLite store: the readers' queries (due heads per recipient, inbox pages, dead letters). (The writer's statements are
// sqlite_transaction.cpp.) The table is migration 3 (sqlite_schema.cpp).

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "store/sqlite/sqlite_connection.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::store {

// The readers' queries, each on a leased read-only connection.
std::vector<OutboxItem> due_outbox_items(sqlite3* db, std::chrono::system_clock::time_point now, std::size_t limit,
                                         std::error_code& error);
std::optional<std::chrono::system_clock::time_point> next_outbox_attempt(sqlite3* db, std::error_code& error);
std::vector<OutboxItem> find_outbox_items(sqlite3* db, const OutboxQuery& query, std::error_code& error);
std::uint64_t count_outbox_items(sqlite3* db, const OutboxQuery& query, std::error_code& error);
std::optional<OutboxItem> find_outbox_item(sqlite3* db, std::string_view id, std::error_code& error);

}  // namespace carebridge::gateway::store
