#pragma once
// The audit log's periodic signed checkpoint: every minute (when the log
// grew), so a partner's inclusion proof is never far behind what it received.

#include <chrono>

#include "store/store.hpp"
#include "timers/operator_log.hpp"

namespace carebridge::gateway::timers {

inline constexpr std::chrono::seconds checkpoint_interval{60};

// Asks the store to sign a checkpoint of the log as committed so far; a
// failure is logged and the next round tries again.
void sign_audit_checkpoint(store::Store& store, const OperatorLog& log);

}  // namespace carebridge::gateway::timers
