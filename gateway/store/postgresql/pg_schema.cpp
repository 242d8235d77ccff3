#include "store/postgresql/pg_schema.hpp"

#include <array>
#include <cstdint>

#include "store/schema_migration.hpp"
#include "store/store_error.hpp"

namespace carebridge::gateway::store {
namespace {

using Migration = SchemaMigration;

// The tables mirror the SQLite store's (sqlite_schema.cpp) so both answer
// alike; what differs is what several instances need. Instants are text in
// the gateway's own form (2026-11-23T05:30:00.123Z) so both stores compare
// and return them byte for byte. The audit chain head is a one-row table
// every writing transaction locks first (SELECT … FOR UPDATE): it orders the
// instances' commits, so audit seqs, outbox seqs (the inbox cursor) and
// history seqs all grow in commit order with no gaps in the log. An outbox
// claim is claimed_by (an instance) until lease_until, on the server's clock.
constexpr std::array migrations{
    Migration{1, R"sql(
CREATE FUNCTION carebridge_now() RETURNS text LANGUAGE sql VOLATILE AS
$$ SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

CREATE TABLE messages (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              text NOT NULL UNIQUE,
    sender          text NOT NULL,
    client          text NOT NULL,
    idempotency_key text,
    received_at     text NOT NULL,
    source_format   text NOT NULL,
    content_type    text NOT NULL,
    payload         bytea NOT NULL,
    canonical       text NOT NULL,
    outcome         text NOT NULL,
    nhs_number      text,
    referral_id     text,
    UNIQUE (sender, idempotency_key)
);
CREATE INDEX messages_by_nhs_number ON messages (nhs_number);
CREATE INDEX messages_by_received_at ON messages (received_at);

CREATE TABLE audit_entries (
    seq                bigint PRIMARY KEY,
    time               text NOT NULL,
    action             text NOT NULL,
    actor_organisation text,
    actor_client       text,
    actor_role         text,
    patient            text,
    message_id         text,
    referral_id        text,
    recipient          text,
    purpose            text,
    lawful_basis       text,
    consent_reference  text,
    outcome            text,
    detail             text,
    previous_hash      text NOT NULL,
    hash               text NOT NULL,
    leaf_hash          bytea NOT NULL
);
CREATE INDEX audit_entries_by_patient ON audit_entries (patient, seq);
CREATE INDEX audit_entries_by_time ON audit_entries (time);
CREATE INDEX audit_entries_by_actor_organisation ON audit_entries (actor_organisation, seq);
CREATE INDEX audit_entries_by_recipient ON audit_entries (recipient, seq);
CREATE INDEX audit_entries_by_action ON audit_entries (action, seq);
CREATE INDEX audit_entries_by_hash ON audit_entries (hash);
CREATE TABLE audit_checkpoints (
    tree_size bigint PRIMARY KEY,
    root_hash text NOT NULL,
    time      text NOT NULL,
    signature text NOT NULL,
    key_id    text NOT NULL
);
-- The head every instance appends after: seq and hash of the last entry,
-- the Merkle tree's subtree roots (audit/merkle.hpp) and the last checkpoint.
CREATE TABLE audit_chain_head (
    id              integer PRIMARY KEY CHECK (id = 1),
    seq             bigint NOT NULL,
    hash            text NOT NULL,
    frontier        bytea NOT NULL,
    checkpoint_size bigint NOT NULL
);
INSERT INTO audit_chain_head VALUES (1, 0, repeat('0', 64), '', 0);
-- The public halves of the keys checkpoints were signed with (one shared by
-- the instances; a rotation adds the next), for auditors to compare with theirs.
CREATE TABLE audit_signing_keys (
    key_id     text PRIMARY KEY,
    public_key text NOT NULL,
    first_used text NOT NULL
);
CREATE FUNCTION carebridge_append_only() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION carebridge_append_only();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION carebridge_append_only();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION carebridge_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION carebridge_append_only();

CREATE TABLE outbox (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              text NOT NULL UNIQUE,
    message_id      text NOT NULL REFERENCES messages (id),
    recipient       text NOT NULL,
    recipient_ods   text NOT NULL,
    service         text NOT NULL,
    format          text NOT NULL,
    payload         bytea NOT NULL,
    content_type    text NOT NULL,
    idempotency_key text NOT NULL,
    endpoint_url    text,
    created_at      text NOT NULL,
    state           text NOT NULL CHECK (state IN ('pending', 'delivered', 'dead', 'acknowledged')),
    attempts        bigint NOT NULL DEFAULT 0,
    next_attempt_at bigint NOT NULL DEFAULT 0,
    last_error      text,
    updated_at      text NOT NULL,
    claimed_by      text,
    lease_until     timestamptz
);
CREATE INDEX outbox_by_recipient ON outbox (recipient, seq);
CREATE INDEX outbox_by_message ON outbox (message_id);
CREATE INDEX outbox_push_queue ON outbox (recipient, seq) WHERE state = 'pending' AND endpoint_url IS NOT NULL;
CREATE INDEX outbox_dead_letters ON outbox (seq) WHERE state = 'dead';

CREATE TABLE referral_history (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id   text NOT NULL REFERENCES messages (id),
    organisation text NOT NULL,
    service      text NOT NULL,
    status       text NOT NULL,
    reason       text NOT NULL,
    time         text NOT NULL
);
CREATE INDEX referral_history_by_message ON referral_history (message_id, seq);
)sql"},
    // Red referrals' escalation timers (api/status_api, timers/escalation), as in SQLite's migration 5.
    Migration{2, R"sql(
CREATE TABLE escalation_timers (
    message_id text PRIMARY KEY REFERENCES messages (id),
    due_at     text NOT NULL,
    state      text NOT NULL CHECK (state IN ('pending', 'done'))
);
CREATE INDEX escalation_timers_due ON escalation_timers (due_at) WHERE state = 'pending';
)sql"},
    // The triage queue (api/triage_api), as in SQLite's migration 6.
    Migration{3, R"sql(
CREATE TABLE triage (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id    text NOT NULL UNIQUE REFERENCES messages (id),
    kind          text NOT NULL,
    reason        text NOT NULL,
    state         text NOT NULL CHECK (state IN ('open', 'rerouted', 'returned')),
    organisation  text NOT NULL DEFAULT '',
    service       text NOT NULL DEFAULT '',
    return_reason text NOT NULL DEFAULT '',
    created_at    text NOT NULL,
    updated_at    text NOT NULL
);
CREATE INDEX triage_open ON triage (seq) WHERE state = 'open';
)sql"},
};

// Any constant: the key of the advisory lock migrations run under.
constexpr const char* lock_sql = "SELECT pg_advisory_xact_lock(7244911300125)";

std::error_code apply_missing(PgConnection& db, std::string& message) {
    if (auto error = db.execute(lock_sql, message)) return error;
    if (auto error = db.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                                "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                                message))
        return error;
    std::error_code error;
    Result latest = db.query("SELECT coalesce(max(version), 0) FROM schema_version", {}, error, message);
    if (error) return error;
    const std::int64_t current = int_at(latest.get(), 0, 0);
    if (auto refused = refuse_newer_schema(current, postgresql_schema_version(), message)) return refused;
    for (const Migration& migration : migrations) {
        if (migration.version <= current) continue;
        if ((error = db.execute(migration.sql, message))) {
            message = "schema migration " + std::to_string(migration.version) + " failed: " + message;
            return error;
        }
        Params params;
        params.integer(migration.version);
        db.query("INSERT INTO schema_version (version) VALUES ($1)", params, error, message);
        if (error) return error;
    }
    return {};
}

}  // namespace

int postgresql_schema_version() { return migrations.back().version; }

std::error_code migrate_postgresql(PgConnection& db, std::string& message) {
    if (auto error = db.execute("BEGIN", message)) return error;
    std::error_code error = apply_missing(db, message);
    std::string ignored;
    if (!error) error = db.execute("COMMIT", message);
    if (error && db.in_transaction()) db.execute("ROLLBACK", ignored);
    return error;
}

}  // namespace carebridge::gateway::store
