#pragma once
// Whether a referral fits a service's acceptance criteria or a routing rule's
// match. Pure functions of the record, the configuration and today's date.
//
// What the record does not say does not exclude the person from a service: a
// referral with no birth date is not refused for age, a person of no fixed
// abode not for area; the service can ask. A routing rule, in contrast, only
// matches on what the referral does say.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "model/record.hpp"

namespace carebridge::gateway::policy {

// The outward code of the person's postcode, upper case ("NF6" for "nf6 2qt");
// nullopt with no address, no postcode, no fixed abode or its postcode ZZ99 3VZ.
std::optional<std::string> postcode_district(const model::Person& person);

// A partial birth date leaves the age uncertain by a year: both ends are kept.
struct AgeRange {
    int youngest = 0;
    int oldest = 0;
};
// nullopt when `birth_date` is not YYYY, YYYY-MM or YYYY-MM-DD.
std::optional<AgeRange> age_on(std::string_view birth_date, std::chrono::sys_days today);

// nullopt when the referral meets every criterion; else the first one it
// fails, as a clause for a sentence ("the person is under the service's
// minimum age (18)"). It names the rule, never the person's own values.
std::optional<std::string> unmet_criterion(const config::ServiceCriteria& criteria, const model::Person& person,
                                           const model::Referral& referral, std::chrono::sys_days today);

// Every condition the rule gives holds for this referral from `sender_id` (a directory id).
bool rule_matches(const config::RuleMatch& match, const model::Person& person, const model::Referral& referral,
                  std::string_view sender_id);

}  // namespace carebridge::gateway::policy
