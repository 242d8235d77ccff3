#pragma once
// The audit log exported as FHIR R4 AuditEvents in a searchset Bundle, after
// the IHE Basic Audit Log Patterns (BALP): a disclosure is an Export, a read
// a RESTful read or search, a policy decision a Security Alert. Every field
// of the entry is carried across (the log's own action word as a subtype,
// what no element holds as entity details), so nothing is lost.
//
// The input is a plain record, not the gateway's audit types: mappers know
// nothing of the gateway, and the gateway fills one record per log entry.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace carebridge::fhir {

// One audit log entry, every field as the log holds it.
struct AuditRecord {
    std::uint64_t seq = 0;
    std::string time;    // instant, UTC
    std::string action;  // the log's word: received, disclosed, read, policy-decision, ...
    std::string actor_organisation;       // ODS code; empty: the gateway itself
    std::string actor_organisation_name;  // its name, when known
    std::string actor_client;
    std::string actor_role;
    std::string patient;  // NHS number
    std::string message_id;
    std::string referral_id;
    std::string recipient;       // ODS code
    std::string recipient_name;  // its name, when known
    std::string purpose;
    std::string lawful_basis;
    std::string consent_reference;
    std::string outcome;  // success, denied, failed (allow / deny for decisions)
    std::string detail;   // the JSON text that was hashed
    std::string previous_hash;
    std::string hash;
};

// A searchset Bundle of one AuditEvent per record, linked to `self_url` and,
// when not empty, to the next page at `next_url`.
std::string audit_event_bundle(const std::vector<AuditRecord>& records, std::string_view self_url,
                               std::string_view next_url);

}  // namespace carebridge::fhir
