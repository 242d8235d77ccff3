#pragma once
// The outbox in the PostgreSQL store. Writing is as in SQLite (new rows
// inside a write set's savepoint, state changes with their only_from
// guard); what differs is that every instance's delivery worker reads the
// one outbox, so reading due items claims them:
//
//   a due head (a recipient's oldest pending push) that nobody holds, or
//   whose holder's lease ran out, is taken with SELECT … FOR UPDATE SKIP
//   LOCKED and marked claimed_by this instance until lease_until;
//
// so each delivery is attempted by one instance at a time, per-recipient
// order holds (only the head can be claimed, and the next item becomes the
// head only when the claimed one is delivered or dead), and the claims of
// an instance that died are taken over once their lease ends. Recording an
// attempt's result (an OutboxUpdate) gives the claim up.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "pg_connection.hpp"
#include "store.hpp"

namespace carebridge::gateway::store {

// The writer's statements, on its connection.
class PgOutboxWriter {
public:
    std::error_code prepare(PgConnection& db, std::string& message);
    // As OutboxWriter::insert and ::update (sqlite_outbox.hpp).
    std::error_code insert(const std::vector<OutboxItem>& items,
                           const std::vector<std::string_view>& repeated_messages, std::vector<std::string>& ids,
                           std::string& message);
    std::error_code update(const std::vector<OutboxUpdate>& updates, std::vector<bool>& applied,
                           std::string& message);

private:
    PgConnection* db_ = nullptr;
};

// Claims up to `limit` due heads for `instance` until the lease ends.
std::vector<OutboxItem> claim_due_outbox_items(PgConnection& db, std::chrono::system_clock::time_point now,
                                               std::size_t limit, const std::string& instance,
                                               std::chrono::seconds lease, std::error_code& error);
// Gives back what `instance` still holds (a clean stop), so another
// instance need not wait for the leases.
void release_outbox_claims(PgConnection& db, const std::string& instance);
std::optional<std::chrono::system_clock::time_point> next_outbox_attempt(PgConnection& db, std::error_code& error);
std::vector<OutboxItem> find_outbox_items(PgConnection& db, const OutboxQuery& query, std::error_code& error);
std::uint64_t count_outbox_items(PgConnection& db, const OutboxQuery& query, std::error_code& error);
std::optional<OutboxItem> find_outbox_item(PgConnection& db, std::string_view id, std::error_code& error);

}  // namespace carebridge::gateway::store
