#pragma once
// Who is told of a step in a referral's history, and what they are sent: one
// outbox row per organisation, a {"schema": "partnership-status/1", ...}
// document with the whole history and whether the referral is bouncing.
// POST status (api/status_api) and the escalation timer (timers/) both queue
// notices this way, so the originator reads one kind of document for both.

#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::status {

// The Content-Type of a status notification in the outbox.
inline constexpr std::string_view status_content_type = "application/vnd.carebridge.partnership-status+json";

// Who hears of a step `poster` set: the originator, and the other
// organisations named on the referral's care plan (activities' responsible
// organisations; a Trust's discharge reaches the VCSE partner holding the
// person), each once and never the poster itself. Config ids.
std::vector<std::string> organisations_told(const config::Config& config, const store::StoredMessage& message,
                                            std::string_view poster);

// Adds to `writes` one outbox row for each organisation in `told` (config
// ids) carrying the status notice of `step`, `history` being the whole
// history with `step` last. Returns the ODS codes told, in order.
std::vector<std::string> queue_status_notices(store::WriteSet& writes, const config::Config& config,
                                              const store::StoredMessage& message, const store::HistoryEntry& step,
                                              const std::vector<store::HistoryEntry>& history, bool bouncing,
                                              const std::vector<std::string>& told);

}  // namespace carebridge::gateway::status
