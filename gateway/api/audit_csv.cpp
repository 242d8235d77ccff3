#include "api/audit_csv.hpp"

namespace carebridge::gateway::api {

using audit::AuditEntry;

namespace {

// A cell a spreadsheet would run as a formula (OWASP CSV injection: = + - @ tab CR).
bool formula_like(std::string_view value) {
    return !value.empty() && std::string_view("=+-@\t\r").find(value.front()) != std::string_view::npos;
}

// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
// A formula-like value is neutralised as OWASP says, quoted with a ' before it;
// every other value is written exactly as stored so the hashes recompute from the file.
void csv_field(std::string& out, std::string_view value) {
    if (formula_like(value)) {
        out += "\"'";
        for (char c : value) {
            if (c == '"') out += '"';
            out += c;
        }
        out += '"';
        return;
    }
    if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
        out += value;
        return;
    }
    out += '"';
    for (char c : value) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

}  // namespace

std::string csv_of(const std::vector<AuditEntry>& entries) {
    std::string out =
        "seq,time,action,actor_organisation,actor_client,actor_role,patient,message_id,referral_id,recipient,"
        "purpose,lawful_basis,consent_reference,outcome,detail,previous_hash,hash\r\n";
    for (const AuditEntry& entry : entries) {
        const audit::AuditEvent& e = entry.event;
        out += std::to_string(entry.seq);
        for (std::string_view value :
             {std::string_view(e.time), audit::to_string(e.action), std::string_view(e.actor_organisation),
              std::string_view(e.actor_client), std::string_view(e.actor_role), std::string_view(e.patient),
              std::string_view(e.message_id), std::string_view(e.referral_id), std::string_view(e.recipient),
              std::string_view(e.purpose), std::string_view(e.lawful_basis), std::string_view(e.consent_reference),
              std::string_view(e.outcome), std::string_view(e.detail), std::string_view(entry.previous_hash),
              std::string_view(entry.hash)}) {
            out += ',';
            csv_field(out, value);
        }
        out += "\r\n";
    }
    return out;
}

}  // namespace carebridge::gateway::api
