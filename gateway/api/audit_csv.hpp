#pragma once
// A page of the audit log as CSV (RFC 4180): one row per entry, every hashed
// field exactly as stored, so the hashes can be recomputed from the file,
// except a cell a spreadsheet would run as a formula (it begins with = + - @
// tab or CR): that one is written quoted with a ' before it (OWASP CSV
// injection), and a reader recomputing hashes drops the ' of such a cell.

#include <string>
#include <vector>

#include "audit/audit_event.hpp"

namespace carebridge::gateway::api {

// The header row and one row per entry, CRLF line ends.
std::string csv_of(const std::vector<audit::AuditEntry>& entries);

}  // namespace carebridge::gateway::api
