#pragma once
// The exact bytes the audit log hashes, written down so an auditor can
// reimplement the check in a few lines of any language.
//
// Canonical entry bytes (version 1):
//
//   "carebridge-audit-entry/1\n"
//   then for each field below, in this order:  <length>:<value>\n
//
// where <value> is the field's bytes exactly as stored (UTF-8, an absent
// field is empty) and <length> is its length in bytes in decimal ASCII, no
// leading zeros ("0" for empty). The fields:
//
//   time, action, actor_organisation, actor_client, actor_role, patient,
//   message_id, referral_id, recipient, purpose, lawful_basis,
//   consent_reference, outcome, detail, previous_hash
//
// with action as its wire name ("policy-decision") and previous_hash as 64
// lower-case hex digits (64 '0's for the first entry). For example an entry
// whose fields are all empty except time, action and previous_hash is
//
//   carebridge-audit-entry/1\n24:2026-11-23T05:30:00.123Z\n8:received\n0:\n … 0:\n64:000…000\n
//
// From those bytes C:
//
//   hash       = SHA-256(C), stored as lower-case hex: the chain link, since C
//                ends with the previous entry's hash
//   leaf hash  = SHA-256(0x00 || C): the entry's RFC 6962 Merkle leaf, at
//                leaf index seq - 1
//
// The sequence number is not in C: an entry's place is what the chain and
// the tree prove, which lets `audit verify` tell an entry that was moved or
// inserted (its contents still match its hash, its link does not) from one
// whose contents were edited.
//
// In Python:
//   fields = [time, action, …, detail, previous_hash]            # each bytes
//   c = b"carebridge-audit-entry/1\n" + b"".join(b"%d:%s\n" % (len(f), f) for f in fields)
//   hash = sha256(c).hexdigest(); leaf = sha256(b"\x00" + c).digest()

#include <string>
#include <string_view>

#include "audit/audit_event.hpp"
#include "audit/hash.hpp"

namespace carebridge::gateway::audit {

inline constexpr std::string_view genesis_hash = "0000000000000000000000000000000000000000000000000000000000000000";

// An entry's fields as stored text, in canonical order: what `audit verify`
// reads straight from a row, without parsing it back into an AuditEvent.
struct EntryText {
    std::string_view time, action, actor_organisation, actor_client, actor_role, patient, message_id, referral_id,
        recipient, purpose, lawful_basis, consent_reference, outcome, detail, previous_hash;
};

// Views into `event` (which must outlive the result) and `previous_hash`.
EntryText text_of(const AuditEvent& event, std::string_view previous_hash);

// Replaces `out` with the canonical bytes; reusing one string avoids an
// allocation per entry when a million are checked.
void canonical_entry(const EntryText& entry, std::string& out);

inline Hash entry_hash(std::string_view canonical) { return sha256(canonical); }
inline Hash leaf_hash(std::string_view canonical) { return sha256(std::string_view("\0", 1), canonical); }

}  // namespace carebridge::gateway::audit
