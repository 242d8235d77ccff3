#pragma once
// "Who saw my data": one person's disclosures, deliveries and views as a
// printable HTML page. No scripts and only inline styles, so it works under
// the report's Content-Security-Policy and prints on its own; every stored
// value is escaped, so a value can never become markup.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_event.hpp"
#include "config/config.hpp"

namespace carebridge::gateway::api {

// The page for NHS number `nhs`; `truncated` says the entries stop at `limit`.
std::string report_html(std::string_view nhs, const std::vector<audit::AuditEntry>& entries, bool truncated,
                        const config::Config* config, std::string_view generated_at, std::size_t limit);

}  // namespace carebridge::gateway::api
