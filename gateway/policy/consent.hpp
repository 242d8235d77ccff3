#pragma once
// The person's consent, checked for one recipient and one purpose.
//
// It holds when, in this order: the referral records a consent; its status is
// given (not refused, not withdrawn); it has not expired (an expiry date is the
// last day it holds, at the precision it was written: "2027-10" holds through
// October 2027; the day is taken in UTC); it covers the recipient, by naming
// its organisation type or the organisation itself (an ODS code, old code or
// alias that resolves to it) - either is enough; and it lists the purpose.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "model/record.hpp"
#include "policy/decision.hpp"
#include "policy/directory.hpp"

namespace carebridge::gateway::policy {

struct ConsentCheck {
    DecisionStatus status = DecisionStatus::allowed;  // allowed or one of the consent_… / no_consent statuses
    std::string reason;                               // empty when allowed
};

ConsentCheck check_consent(const std::optional<model::Consent>& consent, const config::Organisation& recipient,
                           std::string_view purpose, const Directory& directory, std::chrono::sys_days today);

// "2026-10-05": the UTC day of `now`, as consent expiry dates are written.
std::string iso_date(std::chrono::sys_days day);

}  // namespace carebridge::gateway::policy
