#include "store/sqlite/sqlite_schema.hpp"

#include <array>
#include <cstdint>
#include <string_view>

#include "store/sqlite/sqlite_connection.hpp"
#include "store/sqlite/sqlite_error.hpp"
#include "store/schema_migration.hpp"
#include "store/store_error.hpp"

namespace carebridge::gateway::store {
namespace {

using Migration = SchemaMigration;

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
    // The audit log (gateway/audit/): one row per entry, seq assigned by the
    // writer from 1 without gaps (it is the Merkle leaf index + 1), the
    // fields as the canonical bytes hash them (audit/entry_bytes.hpp; NULL
    // reads as empty), the chain hash in hex and the leaf hash raw for
    // proofs. Every index also holds seq (SQLite keys an index by rowid), so
    // a filtered page comes out in log order. Checkpoints are the signed tree
    // heads. The triggers make both append-only through SQL; someone with
    // the file can drop them, which is why the hashes and signatures exist:
    // tampering is detected, not prevented.
    Migration{2, R"sql(
CREATE TABLE audit_entries (
    seq                INTEGER PRIMARY KEY,
    time               TEXT NOT NULL,
    action             TEXT NOT NULL,
    actor_organisation TEXT,
    actor_client       TEXT,
    actor_role         TEXT,
    patient            TEXT,
    message_id         TEXT,
    referral_id        TEXT,
    recipient          TEXT,
    purpose            TEXT,
    lawful_basis       TEXT,
    consent_reference  TEXT,
    outcome            TEXT,
    detail             TEXT,
    previous_hash      TEXT NOT NULL,
    hash               TEXT NOT NULL,
    leaf_hash          BLOB NOT NULL
);
CREATE INDEX audit_entries_by_patient ON audit_entries (patient);
CREATE INDEX audit_entries_by_time ON audit_entries (time);
CREATE INDEX audit_entries_by_actor_organisation ON audit_entries (actor_organisation);
CREATE INDEX audit_entries_by_recipient ON audit_entries (recipient);
CREATE INDEX audit_entries_by_action ON audit_entries (action);
CREATE TABLE audit_checkpoints (
    tree_size INTEGER PRIMARY KEY,
    root_hash TEXT NOT NULL,
    time      TEXT NOT NULL,
    signature TEXT NOT NULL,
    key_id    TEXT NOT NULL
);
CREATE TRIGGER audit_entries_append_only_update BEFORE UPDATE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_entries_append_only_delete BEFORE DELETE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_checkpoints_append_only_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_checkpoints_append_only_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql"},
    // The outbox (gateway/delivery/): one row per recipient of a message,
    // committed with it. seq is the inbox cursor and the per-recipient order,
    // never reused; next_attempt_at is milliseconds since the Unix epoch so
    // "due" is one integer comparison. An empty endpoint_url is NULL: a
    // pull-inbox item that no worker pushes. The partial index holds exactly
    // the rows the delivery worker looks for: each recipient's pending pushes.
    Migration{3, R"sql(
CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    message_id      TEXT NOT NULL REFERENCES messages (id),
    recipient       TEXT NOT NULL,
    recipient_ods   TEXT NOT NULL,
    service         TEXT NOT NULL,
    format          TEXT NOT NULL,
    payload         BLOB NOT NULL,
    content_type    TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    endpoint_url    TEXT,
    created_at      TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead', 'acknowledged')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    updated_at      TEXT NOT NULL
);
CREATE INDEX outbox_by_recipient ON outbox (recipient, seq);
CREATE INDEX outbox_by_message ON outbox (message_id);
CREATE INDEX outbox_push_queue ON outbox (recipient, seq) WHERE state = 'pending' AND endpoint_url IS NOT NULL;
CREATE INDEX outbox_dead_letters ON outbox (seq) WHERE state = 'dead';
)sql"},
    // The referral's history (api/status_api, timers/escalation): one row per status an
    // organisation set, in order, read back whole for a bounce check.
    Migration{4, R"sql(
CREATE TABLE referral_history (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id   TEXT NOT NULL REFERENCES messages (id),
    organisation TEXT NOT NULL,
    service      TEXT NOT NULL,
    status       TEXT NOT NULL,
    reason       TEXT NOT NULL,
    time         TEXT NOT NULL
);
CREATE INDEX referral_history_by_message ON referral_history (message_id, seq);
)sql"},
    // Red referrals' escalation timers (api/status_api, timers/escalation): the pending ones are
    // read by due time; a fired one stays, so it never fires twice.
    Migration{5, R"sql(
CREATE TABLE escalation_timers (
    message_id TEXT PRIMARY KEY REFERENCES messages (id),
    due_at     TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('pending', 'done'))
);
CREATE INDEX escalation_timers_due ON escalation_timers (due_at) WHERE state = 'pending';
)sql"},
    // The triage queue (api/triage_api): one row per referral held because
    // the directory could not route it, at most one per message; seq is the
    // queue's cursor. The partial index holds what an admin works through.
    Migration{6, R"sql(
CREATE TABLE triage (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id    TEXT NOT NULL UNIQUE REFERENCES messages (id),
    kind          TEXT NOT NULL,
    reason        TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('open', 'rerouted', 'returned')),
    organisation  TEXT NOT NULL DEFAULT '',
    service       TEXT NOT NULL DEFAULT '',
    return_reason TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX triage_open ON triage (seq) WHERE state = 'open';
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
    if (auto refused = refuse_newer_schema(current, sqlite_schema_version(), message)) return refused;

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
