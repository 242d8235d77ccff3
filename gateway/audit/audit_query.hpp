#pragma once
// What an auditor asks of the log: entries matching every filter that is
// set, in sequence order, a page at a time. The cursor is a sequence number,
// so a page never shifts when entries are appended while someone reads.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "audit/audit_event.hpp"

namespace carebridge::gateway::audit {

struct AuditQuery {
    std::string patient;               // NHS number
    std::string organisation;          // as the actor or as the recipient (a partner's own view)
    std::string recipient;             // as the recipient only
    std::vector<AuditAction> actions;  // any of these; empty: every action
    std::string outcome;
    std::string from;  // time >= from (an instant); empty: no lower bound
    std::string to;    // time < to (an instant); empty: no upper bound
    // Cursor: oldest first, entries after `after_seq`; newest first, entries
    // before `before_seq` (0: from the newest).
    bool newest_first = false;
    std::uint64_t after_seq = 0;
    std::uint64_t before_seq = 0;
    std::size_t limit = 100;  // clamped to 1..max_page
};

inline constexpr std::size_t max_page = 1000;  // a page an auditor's browser renders at once

}  // namespace carebridge::gateway::audit
