#pragma once
// The outbox in the PostgreSQL store. Writing is the shared writer's
// (store/write_set_apply.hpp over pg_transaction.hpp); what differs from
// SQLite is that every instance's delivery worker reads the one outbox, so
// reading due items claims them:
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

#include "store/postgresql/pg_connection.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::store {

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
