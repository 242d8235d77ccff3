#include "audit/entry_bytes.hpp"

#include <charconv>

namespace carebridge::gateway::audit {
namespace {

constexpr std::string_view format_line = "carebridge-audit-entry/1\n";

void append_field(std::string& out, std::string_view value) {
    char length[24];
    const auto end = std::to_chars(length, length + sizeof length, value.size()).ptr;
    out.append(length, end);
    out.push_back(':');
    out.append(value);
    out.push_back('\n');
}

}  // namespace

EntryText text_of(const AuditEvent& e, std::string_view previous_hash) {
    return EntryText{e.time,
                     to_string(e.action),
                     e.actor_organisation,
                     e.actor_client,
                     e.actor_role,
                     e.patient,
                     e.message_id,
                     e.referral_id,
                     e.recipient,
                     e.purpose,
                     e.lawful_basis,
                     e.consent_reference,
                     e.outcome,
                     e.detail,
                     previous_hash};
}

void canonical_entry(const EntryText& e, std::string& out) {
    out.clear();
    out.append(format_line);
    for (std::string_view field :
         {e.time, e.action, e.actor_organisation, e.actor_client, e.actor_role, e.patient, e.message_id, e.referral_id,
          e.recipient, e.purpose, e.lawful_basis, e.consent_reference, e.outcome, e.detail, e.previous_hash})
        append_field(out, field);
}

}  // namespace carebridge::gateway::audit
