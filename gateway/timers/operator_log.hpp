#pragma once
// Where the periodic jobs report what the operator should know (a failed
// commit, a purge's counts); never patient data.

#include <functional>
#include <string>

namespace carebridge::gateway::timers {

using OperatorLog = std::function<void(const std::string& line)>;

}  // namespace carebridge::gateway::timers
