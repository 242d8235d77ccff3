#pragma once
// The outbox in the SQLite store: the writer's side (new rows inside a write
// set's savepoint, state changes with their only_from guard) and the
// readers' queries (due heads per recipient, inbox pages, dead letters). The
// table is migration 3 (sqlite_schema.cpp).

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sqlite_connection.hpp"
#include "store.hpp"

namespace carebridge::gateway::store {

// The writer's statements, prepared once on its connection.
class OutboxWriter {
public:
    std::error_code prepare(sqlite3* db, std::string& message);

    // Inserts `items`; `ids` gets each one's id, index for index. An item
    // whose message_id is one of `repeated_messages` (idempotent repeats in
    // this write set, so not stored) is left out with an empty id. On an
    // error the caller rolls the savepoint back.
    std::error_code insert(const std::vector<OutboxItem>& items,
                           const std::vector<std::string_view>& repeated_messages, std::vector<std::string>& ids,
                           std::string& message);

    // Applies `updates` in order; `applied` says, index for index, whether the
    // item existed in one of the update's only_from states.
    std::error_code update(const std::vector<OutboxUpdate>& updates, std::vector<bool>& applied,
                           std::string& message);

private:
    sqlite3* db_ = nullptr;
    Statement insert_, update_;
};

// The readers' queries, each on a leased read-only connection.
std::vector<OutboxItem> due_outbox_items(sqlite3* db, std::chrono::system_clock::time_point now, std::size_t limit,
                                         std::error_code& error);
std::optional<std::chrono::system_clock::time_point> next_outbox_attempt(sqlite3* db, std::error_code& error);
std::vector<OutboxItem> find_outbox_items(sqlite3* db, const OutboxQuery& query, std::error_code& error);
std::uint64_t count_outbox_items(sqlite3* db, const OutboxQuery& query, std::error_code& error);
std::optional<OutboxItem> find_outbox_item(sqlite3* db, std::string_view id, std::error_code& error);

}  // namespace carebridge::gateway::store
