#include "sqlite_schema.hpp"

#include <array>
#include <cstdint>
#include <string_view>

#include "sqlite_connection.hpp"
#include "store_error.hpp"

namespace carebridge::gateway::store {
namespace {

struct Migration {
    int version;
    const char* sql;
};

// seq orders messages for cursors and never reuses a value (AUTOINCREMENT),
// so a purge cannot make a later message take an earlier one's place; id is
// the public key, unique and what other tables will reference. An empty
// idempotency key, NHS number or referral id is stored as NULL: absent, and
// for the key, never in conflict with another message's.
constexpr std::array migrations{
    Migration{1, R"sql(
CREATE TABLE messages (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    sender          TEXT NOT NULL,
    client          TEXT NOT NULL,
    idempotency_key TEXT,
    received_at     TEXT NOT NULL,
    source_format   TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    payload         BLOB NOT NULL,
    canonical       TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    nhs_number      TEXT,
    referral_id     TEXT,
    UNIQUE (sender, idempotency_key)
);
CREATE INDEX messages_by_nhs_number ON messages (nhs_number);
CREATE INDEX messages_by_received_at ON messages (received_at);
)sql"},
};

constexpr const char* create_migrations_table = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
);
)sql";

std::error_code apply_missing(sqlite3* db, std::string& message) {
    if (auto error = execute(db, create_migrations_table, message)) return error;

    std::error_code error;
    Statement latest =
        Statement::prepare(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", error, message);
    if (error) return error;
    std::int64_t current = 0;
    {
        StatementUse use(latest);
        if (use->step() != SQLITE_ROW) {
            message = sqlite3_errmsg(db);
            return sqlite_error(sqlite3_extended_errcode(db));
        }
        current = use->column_int64(0);
    }
    if (current > sqlite_schema_version()) {
        message = "schema version " + std::to_string(current) + " is newer than this carebridge knows (" +
                  std::to_string(sqlite_schema_version()) + "); run the carebridge that wrote it";
        return StoreErrc::schema_too_new;
    }

    Statement record = Statement::prepare(
        db, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        error, message);
    if (error) return error;
    for (const Migration& migration : migrations) {
        if (migration.version <= current) continue;
        if (auto step_error = execute(db, migration.sql, message)) {
            message = "schema migration " + std::to_string(migration.version) + " failed: " + message;
            return step_error;
        }
        StatementUse use(record);
        use->bind_int64(1, migration.version);
        if (use->step() != SQLITE_DONE) {
            message = sqlite3_errmsg(db);
            return sqlite_error(sqlite3_extended_errcode(db));
        }
    }
    return {};
}

}  // namespace

int sqlite_schema_version() { return migrations.back().version; }

std::error_code migrate(sqlite3* db, std::string& message) {
    // IMMEDIATE takes the write lock first, so two processes opening a new
    // file at once cannot both decide to run migration 1.
    if (auto error = execute(db, "BEGIN IMMEDIATE", message)) return error;
    std::error_code error = apply_missing(db, message);
    std::string ignored;
    if (!error) error = execute(db, "COMMIT", message);
    if (error && !sqlite3_get_autocommit(db)) execute(db, "ROLLBACK", ignored);
    return error;
}

}  // namespace carebridge::gateway::store
