#pragma once
// Retention (config `payload_retention_days`): payloads received before the
// retention period are emptied, and the store records the purge as a
// `purged` audit entry with its counts. Run at start and with each
// checkpoint round, so nothing outlives its period by more than a minute.

#include <chrono>

#include "store/store.hpp"
#include "timers/operator_log.hpp"

namespace carebridge::gateway::timers {

// Purges what was received more than `retention_days` before `now`; nothing
// with 0 (keep payloads for ever). What was emptied, or a failure, is logged.
void purge_expired_payloads(store::Store& store, unsigned retention_days, std::chrono::system_clock::time_point now,
                            const OperatorLog& log);

}  // namespace carebridge::gateway::timers
