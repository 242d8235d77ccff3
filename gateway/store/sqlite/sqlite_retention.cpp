#include "store/sqlite/sqlite_retention.hpp"

#include "store/sqlite/sqlite_error.hpp"

namespace carebridge::gateway::store {

namespace {

std::error_code run_update(sqlite3* db, const char* sql, std::string_view before, std::uint64_t& changed,
                           std::string& message) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK) {
        message = std::string("cannot prepare the purge: ") + sqlite3_errmsg(db);
        return sqlite_error(sqlite3_extended_errcode(db));
    }
    sqlite3_bind_text(statement, 1, before.data(), static_cast<int>(before.size()), SQLITE_TRANSIENT);
    const int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) {
        message = std::string("the purge failed: ") + sqlite3_errmsg(db);
        return sqlite_error(sqlite3_extended_errcode(db));
    }
    changed = static_cast<std::uint64_t>(sqlite3_changes(db));
    return {};
}

}  // namespace

std::error_code purge_payloads(sqlite3* db, std::string_view before, PurgeCounts& counts, std::string& message) {
    counts = PurgeCounts{};
    if (auto error = run_update(db,
                                "UPDATE messages SET payload = x'', canonical = '' "
                                "WHERE received_at < ?1 AND (length(payload) > 0 OR length(canonical) > 0)",
                                before, counts.messages, message))
        return error;
    return run_update(db,
                      "UPDATE outbox SET payload = x'' WHERE created_at < ?1 AND length(payload) > 0 "
                      "AND state IN ('delivered', 'acknowledged', 'dead')",
                      before, counts.outbox_items, message);
}

}  // namespace carebridge::gateway::store
