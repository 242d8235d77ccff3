#pragma once
// The gateway's durable store: one interface, the embedded SQLite file
// (store/sqlite/) and PostgreSQL for several instances (store/postgresql/),
// DESIGN.md. Everything SQL lives behind it; what both backends do alike
// (group commit, write-set apply, the audit chain) is written once beside
// this file, over the statements each backend implements
// (write_transaction.hpp). A write set — the accepted message, later its outbox rows and
// audit entries — is committed in one transaction, and the reply is sent only
// after that commit is durable. Under load the store groups many write sets
// into one transaction so one fsync serves many requests.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "audit/audit_event.hpp"
#include "audit/audit_query.hpp"
#include "audit/checkpoint.hpp"
#include "audit/hash.hpp"
#include "audit/log_verifier.hpp"

namespace carebridge::gateway::store {

// One accepted message: the original bytes as they arrived and the canonical
// record, so it can be reprocessed after a mapping fix.
struct StoredMessage {
    std::string id;               // gateway-assigned (UUID), the {id} of /referrals/{id}
    std::string sender;           // organisation id from the config, e.g. "trust"
    std::string client;           // API client or certificate that sent it
    std::string idempotency_key;  // empty: none; unique per sender
    std::string received_at;      // instant, UTC, e.g. 2026-11-23T05:30:00.123Z
    std::string source_format;    // "fhir", "carenotes" or "referral"
    std::string content_type;     // as received, e.g. application/fhir+json
    std::string payload;          // original bytes (for an export: this client's canonical form)
    std::string canonical;        // the record as compact partnership referral JSON
    std::string outcome;          // OperationOutcome JSON sent with the 201 (warnings), for an idempotent repeat
    std::string nhs_number;       // the person's, for retention and audit look-ups; empty when absent
    std::string referral_id;      // the sender's referral id; empty when absent
};

// ---- the outbox (gateway/delivery/) ----
// pending: waiting to be pushed (or collected from the inbox); delivered: the
// partner's endpoint answered 2xx; dead: pushing gave up, an admin may retry;
// acknowledged: the partner acknowledged it through its inbox.
enum class OutboxState { pending, delivered, dead, acknowledged };
std::string_view to_string(OutboxState state);
std::optional<OutboxState> parse_outbox_state(std::string_view name);

// One recipient's copy of a message: the minimised document already in the
// recipient's format, committed with the message and delivered from here.
struct OutboxItem {
    std::string id;               // UUID; empty in a write set: the store assigns one
    std::uint64_t seq = 0;        // set by the store, increasing: the inbox's cursor
    std::string message_id;       // the stored message it was derived from
    std::string recipient;        // organisation id from the config, e.g. "befriend"
    std::string recipient_ods;    // its ODS code, for the audit log
    std::string service;          // service id at the recipient
    std::string format;           // "fhir", "referral" or "carenotes"
    std::string payload;          // the encoded document
    std::string content_type;     // sent as Content-Type
    std::string idempotency_key;  // stable per message and recipient; sent as Idempotency-Key
    std::string endpoint_url;     // empty: the partner collects it from its pull inbox
    std::string created_at;       // instant, UTC; empty in a write set: the store stamps it
    OutboxState state = OutboxState::pending;
    unsigned attempts = 0;  // push attempts made since it was queued or last retried
    std::chrono::system_clock::time_point next_attempt_at{};  // not pushed before; the epoch: at once
    std::string last_error;  // why the last attempt failed; never patient data
    // Read from the message, never written with the item: for the audit log.
    std::string patient;      // the person's NHS number
    std::string referral_id;  // the sender's referral id
};

// A change of an outbox item's state, committed through the writer like
// everything else so a delivery and its audit entry are one commit.
struct OutboxUpdate {
    std::string id;
    // Applied only while the item is in one of these states (empty: any), so a
    // late push result cannot overwrite a partner's acknowledgement.
    std::vector<OutboxState> only_from;
    OutboxState state = OutboxState::pending;
    std::optional<unsigned> attempts;  // nullopt: unchanged
    std::optional<std::chrono::system_clock::time_point> next_attempt_at;
    std::optional<std::string> last_error;
};

// Which outbox items to read: those of one recipient and/or in one state,
// oldest first, after a cursor (OutboxItem::seq).
struct OutboxQuery {
    std::string recipient;  // empty: every recipient
    std::optional<OutboxState> state;
    std::uint64_t after_seq = 0;
    std::size_t limit = 100;    // clamped to 1..1000
    bool with_payload = true;   // false: payload left empty (admin lists show metadata only)
};

// One step of a referral's history: a status an organisation set on it
// (accepted, declined, …), kept with the referral so a bounce is visible.
struct HistoryEntry {
    std::uint64_t seq = 0;     // set by the store, increasing: the history's order
    std::string message_id;    // the stored message the referral arrived in
    std::string organisation;  // organisation id from the config that set the status
    std::string service;       // service id at that organisation; empty when none was named
    std::string status;        // accepted, declined, waiting, contacted, not-contactable, completed, discharged
    std::string reason;        // why, as the organisation wrote it; may be empty
    std::string time;          // instant, UTC; empty in a write set: the store stamps it
};

// A red referral's escalation timer (api/status_api, timers/escalation): set when the referral
// is routed, and once due either fired (the originator is told nobody has
// accepted it yet) or found no longer needed.
struct EscalationTimer {
    std::string message_id;
    std::string due_at;  // instant, UTC, e.g. 2026-11-23T09:30:00.000Z
};

// ---- the triage queue (api/triage_api, intake/plan) ----
// A referral the directory could not route (an unknown or closed
// organisation or service, no route) from a submitter that triages rather
// than rejects: the message is stored as any other, and this row holds it
// for an admin to re-route or return to its sender. open: waiting;
// rerouted: sent to a service an admin chose; returned: sent back to its
// sender with a reason.
enum class TriageState { open, rerouted, returned };
std::string_view to_string(TriageState state);
std::optional<TriageState> parse_triage_state(std::string_view name);

struct TriageItem {
    std::uint64_t seq = 0;     // set by the store, increasing: the queue's cursor
    std::string message_id;    // the stored message held
    std::string kind;          // why routing refused it: policy::RefusalKind's name, e.g. "unknown_organisation"
    std::string reason;        // the refusal as the submitter was told it
    TriageState state = TriageState::open;
    std::string organisation;  // rerouted: the organisation id chosen
    std::string service;       // rerouted: the service id chosen
    std::string return_reason; // returned: why, as the admin wrote it
    std::string created_at;    // instant, UTC; empty in a write set: the store stamps it
    std::string updated_at;    // instant, UTC; the store stamps it
    // Read from the message, never written with the item.
    std::string sender;       // organisation id
    std::string referral_id;  // the sender's referral id
    std::string received_at;
};

// An admin's step on a triage item: re-routed or returned. Applied only
// while the item is open; one that is not refuses the whole write set with
// StoreErrc::triage_not_open, so two admins (or two instances) cannot both
// dispose of one item and nothing of the loser's step is sent.
struct TriageUpdate {
    std::string message_id;
    TriageState state = TriageState::rerouted;
    std::string organisation;
    std::string service;
    std::string return_reason;
};

// Which triage items to read, oldest first, after a cursor (TriageItem::seq).
struct TriageQuery {
    std::optional<TriageState> state;  // nullopt: every state
    std::uint64_t after_seq = 0;
    std::size_t limit = 100;  // clamped to 1..1000
};

// What one request commits, all or nothing. Outbox rows and audit entries
// join the messages here so a disclosure and its record are one commit.
struct WriteSet {
    std::vector<StoredMessage> messages;
    // Outbox rows, inserted after the messages in the same savepoint. A row
    // whose message_id is a message here that turns out an idempotent repeat
    // is left out: the original's rows were queued with the original.
    std::vector<OutboxItem> outbox;
    // State changes of existing outbox items, applied after the new rows.
    std::vector<OutboxUpdate> outbox_updates;
    // Steps of referrals' histories, appended with the outbox rows that tell
    // the originator of them; a step of a message here that turns out an
    // idempotent repeat is left out.
    std::vector<HistoryEntry> history;
    // Escalation timers to set, one per message at most; a timer whose
    // message turns out an idempotent repeat is left out, as its outbox rows are.
    std::vector<EscalationTimer> escalation_timers;
    // Messages whose timers are no longer needed (the referral was taken on,
    // or it was gone by the time the timer fell due): never due again.
    std::vector<std::string> escalation_timers_done;
    // Messages whose timers this write set fires. Each must still be pending:
    // when one has fired already (another gateway instance on the same
    // database got there first) or ended (the referral was taken on since it
    // was read), the whole write set is refused with
    // StoreErrc::escalation_not_pending, so an escalation is recorded and
    // sent at most once.
    std::vector<std::string> escalation_timers_fired;
    // Triage items to add, one per message at most; one whose message turns
    // out an idempotent repeat is left out (the original's item stands).
    std::vector<TriageItem> triage;
    // Admins' steps on open items (TriageUpdate says what a closed one does).
    std::vector<TriageUpdate> triage_updates;
    // Audit log (gateway/audit/): appended in order after the messages, in
    // the same savepoint; a write set may hold events alone. An event whose
    // message_id is a message here that turns out an idempotent repeat is
    // left out: that message was not stored, so nothing it records happened.
    std::vector<audit::AuditEvent> audit;
    // Then sign a checkpoint of the whole log, if it grew since the last one.
    bool sign_audit_checkpoint = false;
    // Retention: empty the payloads of what was received before this instant
    // (WriteTransaction::purge_payloads). The writer records the purge as a `purged`
    // audit entry with its counts, when it emptied anything. Empty: no purge.
    std::string purge_payloads_before;
};

struct MessageResult {
    std::string id;          // the stored id: the new one, or the original one on a repeat
    bool duplicate = false;  // the idempotency key was seen before; nothing was stored
    std::string outcome;     // on a repeat: the original's outcome
};

struct CommitResult {
    std::error_code error;                        // set: nothing of the write set was stored
    std::string error_message;                    // for the operator's log; never patient data
    std::vector<MessageResult> messages;          // index for index with WriteSet::messages
    std::vector<std::uint64_t> audit_seqs;        // index for index with WriteSet::audit; 0: left out (a repeat)
    std::optional<audit::Checkpoint> checkpoint;  // the one signed, when sign_audit_checkpoint asked and the log grew
    std::vector<std::string> outbox_ids;          // index for index with WriteSet::outbox; empty: left out (a repeat)
    std::vector<bool> outbox_updated;  // index for index with WriteSet::outbox_updates; false: no such item, or
                                       // not in an only_from state
    std::uint64_t purged_messages = 0;      // with purge_payloads_before: messages emptied
    std::uint64_t purged_outbox_items = 0;  // and delivered copies emptied
};

// Progress of a pass over the whole audit log (`carebridge audit verify`):
// entries checked so far, of `total`.
using AuditVerifyProgress = std::function<void(std::uint64_t checked, std::uint64_t total)>;

// Store-wide figures for /metrics.
struct CommitObserver {
    // Called by the writer after each durable transaction.
    std::function<void(std::chrono::microseconds commit_time, std::size_t write_sets)> on_commit;
};

class Store {
public:
    using Done = std::function<void(CommitResult)>;
    virtual ~Store() = default;

    // Queues `writes`; `done` runs (on the store's writer thread) after the
    // transaction that holds it is durable, or failed. A commit refused at once
    // (queue full, store closed) runs `done` on the caller's thread, inside
    // this call. Never blocks on disk.
    virtual void commit(WriteSet writes, Done done) = 0;

    // Reads a message by its id. nullopt and no error when there is none.
    virtual std::optional<StoredMessage> find_message(std::string_view id, std::error_code& error) = 0;

    // ---- the referral's history (api/status_api, timers/escalation) ----
    // Every step of the message's history, oldest first.
    virtual std::vector<HistoryEntry> referral_history(std::string_view message_id, std::error_code& error) = 0;
    // The organisations the message was routed to (those with an outbox row
    // for it), each once: the ones that may post its status.
    virtual std::vector<std::string> message_recipients(std::string_view message_id, std::error_code& error) = 0;

    // ---- the triage queue (api/triage_api) ----
    // One page of the queue, oldest first, each with its message's sender,
    // referral id and arrival.
    virtual std::vector<TriageItem> find_triage_items(const TriageQuery& query, std::error_code& error) = 0;
    // The item holding `message_id`; nullopt and no error when it was never triaged.
    virtual std::optional<TriageItem> find_triage_item(std::string_view message_id, std::error_code& error) = 0;

    // Timers due at `now` (an instant, UTC) that have not fired, earliest first, at most `limit`.
    virtual std::vector<EscalationTimer> due_escalation_timers(std::string_view now, std::size_t limit,
                                                               std::error_code& error) = 0;

    // ---- the audit log (gateway/audit/) ----
    // One page of entries matching every filter set in `query`.
    virtual std::vector<audit::AuditEntry> find_audit_entries(const audit::AuditQuery& query,
                                                              std::error_code& error) = 0;
    virtual std::optional<audit::Checkpoint> latest_audit_checkpoint(std::error_code& error) = 0;
    virtual std::optional<audit::Checkpoint> audit_checkpoint_at(std::uint64_t tree_size, std::error_code& error) = 0;
    // Leaf hashes of entries first_seq..last_seq inclusive, in order: the
    // Merkle leaves for proofs (audit/merkle.hpp). Shorter when the log ends first.
    virtual std::vector<audit::Hash> audit_leaf_hashes(std::uint64_t first_seq, std::uint64_t last_seq,
                                                       std::error_code& error) = 0;
    // The key checkpoints are signed with, for auditors to check them.
    virtual const audit::PublicKey& audit_public_key() const = 0;
    // That key and every earlier one the store kept (a rotated signing key),
    // so checkpoints signed before a rotation still check out.
    virtual audit::TrustedKeys audit_trusted_keys() = 0;
    // The whole log checked as `carebridge audit verify` checks it, with
    // audit_trusted_keys(): read-only, in one snapshot, beside the writer.
    // Seconds at a million entries; api/audit_verifier.hpp caches it.
    virtual audit::LogVerification verify_audit_log() = 0;
    // Signs a checkpoint of the log as committed so far (periodically, and at
    // drain); `done` gets it in CommitResult::checkpoint, empty when the log
    // has not grown since the last one.
    void sign_audit_checkpoint(Done done) {
        WriteSet writes;
        writes.sign_audit_checkpoint = true;
        commit(std::move(writes), std::move(done));
    }

    // ---- the outbox (gateway/delivery/) ----
    // The items due for a push at `now`, oldest due first, at most `limit`:
    // for each recipient only its oldest pending item with an endpoint (its
    // head), and only when that one is due, so one recipient's deliveries
    // keep their order and a failing recipient holds up only itself. On
    // SQLite reading claims nothing: the one delivery worker of the store
    // keeps its in-flight recipients itself. Where claims_outbox_items() is
    // true (PostgreSQL, several instances) the items returned are claimed
    // for this instance until a lease ends, heads held by anyone are left
    // out, and the OutboxUpdate that records an attempt gives the claim up.
    virtual std::vector<OutboxItem> due_outbox_items(std::chrono::system_clock::time_point now, std::size_t limit,
                                                     std::error_code& error) = 0;
    // True when due_outbox_items claims what it returns: the delivery worker
    // then asks only for as many as it will start.
    virtual bool claims_outbox_items() const { return false; }
    // When the earliest head that is not yet due will be; nullopt when no
    // item waits for a push.
    virtual std::optional<std::chrono::system_clock::time_point> next_outbox_attempt(std::error_code& error) = 0;
    virtual std::vector<OutboxItem> find_outbox_items(const OutboxQuery& query, std::error_code& error) = 0;
    // How many items match `query`, ignoring its cursor and limit.
    virtual std::uint64_t count_outbox_items(const OutboxQuery& query, std::error_code& error) = 0;
    virtual std::optional<OutboxItem> find_outbox_item(std::string_view id, std::error_code& error) = 0;

    // True when the store answers a query and its last commit did not fail.
    virtual bool ready() = 0;

    // Commits everything queued, then stops the writer. Idempotent.
    virtual void close() = 0;
};

}  // namespace carebridge::gateway::store
