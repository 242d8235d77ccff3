#pragma once
// A referral's history as the partnership reads it: which steps mean someone
// has taken it on, when it is bouncing between teams, and how the steps are
// written (organisations by ODS code, the partnership's common language).
// Shared by the status endpoints (api/) and the escalation timer (timers/).

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::status {

// The history's name for the gateway itself, on the steps it adds (escalated).
inline constexpr std::string_view gateway_actor = "gateway";

// True for a step that means someone has taken the referral on (accepted,
// contacted, completed, discharged): a red referral's escalation timer is
// then no longer needed.
bool is_taken_on(std::string_view status);

// True when `history` holds `declined` from two or more different
// organisations or services: the referral is bouncing between teams.
bool is_bouncing(const std::vector<store::HistoryEntry>& history);

// The ODS code of a configured organisation id; the id itself when unknown.
std::string ods_code_of(const config::Config& config, std::string_view organisation);

// Writes "history": [{organisation (ODS), service, status, reason, time}, ...].
void write_history(rapidjson::Writer<rapidjson::StringBuffer>& w, const config::Config& config,
                   const std::vector<store::HistoryEntry>& history);

}  // namespace carebridge::gateway::status
