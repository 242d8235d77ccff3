#pragma once
// What the audit log records: one event per thing that happened to a
// referral or to the gateway — received, translated, a policy decision, a
// disclosure, a delivery, a read — with who did it, about whom, for whom, why
// and under which consent (DESIGN.md, issue 5). Auditors read these fields,
// never payloads, so an event holds identifiers and metadata only.
//
// An event joins a store::WriteSet and is appended in the same transaction
// as the message, outbox row or status it records; the writer gives it its
// sequence number and hashes (audit/entry_bytes.hpp says how).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace carebridge::gateway::audit {

// The closed list of events. The wire names (to_string) are kebab-case and
// are what the log stores and hashes, so a name never changes once released.
enum class AuditAction {
    received,         // a message was accepted and stored
    rejected,         // a message failed validation (400/422) or was refused
    translated,       // a message was translated; detail: the lossiness warnings' count
    policy_decision,  // consent / agreement / directory checked; detail: rule and version; outcome allow or deny
    disclosed,        // a recipient was given a minimised copy; detail: fields sent and withheld
    delivered,        // a push delivery was acknowledged, or a partner acknowledged an inbox item
    delivery_failed,  // one delivery attempt failed; detail: the reason
    dead_lettered,    // delivery gave up after its attempts
    retried,          // an admin re-queued a dead letter
    read,             // someone viewed a referral, an inbox item or the audit log itself
    status_changed,   // a referral's status moved (accepted, declined, discharged, …)
    config_changed,   // the gateway's configuration was loaded or reloaded
    purged,           // payloads were removed after the retention period
};

std::string_view to_string(AuditAction action);
std::optional<AuditAction> parse_action(std::string_view name);

// Outcome words shared by every writer of events, so a filter on outcome finds them all.
namespace outcome {
inline constexpr std::string_view success = "success";
inline constexpr std::string_view denied = "denied";  // a policy refused: nothing was disclosed
inline constexpr std::string_view failed = "failed";  // the gateway or a recipient could not do it
}  // namespace outcome

struct AuditEvent {
    // Instant, UTC, milliseconds: 2026-11-23T05:30:00.123Z (format_instant).
    // Empty: the writer stamps the time it appends the entry.
    std::string time;
    AuditAction action = AuditAction::received;
    std::string actor_organisation;  // ODS code of the organisation that acted
    std::string actor_client;        // API client, certificate or user that acted
    std::string actor_role;          // submitter, partner, auditor, admin; "gateway" for its own acts
    std::string patient;             // NHS number; empty when the event is about no one
    std::string message_id;          // the stored message's id (/referrals/{id})
    std::string referral_id;         // the sender's referral id
    std::string recipient;           // ODS code of the organisation disclosed or delivered to
    std::string purpose;             // e.g. direct-care
    std::string lawful_basis;        // e.g. UK GDPR 6(1)(e); 9(2)(h)
    std::string consent_reference;   // the consent the disclosure relied on
    std::string outcome;             // audit::outcome::success / denied / failed, or another word
    std::string detail;              // a compact JSON object (audit/detail.hpp), or empty
};

// An event as the log holds it: its position and its links.
struct AuditEntry {
    std::uint64_t seq = 0;  // 1, 2, 3, … without gaps; the Merkle leaf index is seq - 1
    AuditEvent event;
    std::string previous_hash;  // the previous entry's hash, hex; 64 zeros for entry 1
    std::string hash;           // this entry's hash, hex (audit/entry_bytes.hpp)
};

// The instant in the log's form: YYYY-MM-DDTHH:MM:SS.mmmZ, always 24 characters,
// so text order is time order and a time range is a string range.
std::string format_instant(std::chrono::system_clock::time_point time);
std::string now_instant();
bool is_instant(std::string_view text);

}  // namespace carebridge::gateway::audit
