#include "policy/consent.hpp"

#include <algorithm>
#include <cstdio>

#include "model/validate.hpp"

namespace carebridge::gateway::policy {
namespace {

std::string label(const model::Consent& consent) {
    return consent.id.empty() ? std::string("the consent") : "consent " + consent.id;
}

bool covers(const model::Consent& consent, const config::Organisation& recipient, const Directory& directory) {
    for (const model::OrganisationType type : consent.organisation_types)
        if (model::to_string(type) == config::to_string(recipient.type)) return true;
    for (const std::string& named : consent.organisations)
        if (const config::Organisation* o = directory.organisation(named); o && o->id == recipient.id) return true;
    return false;
}

std::string scope_text(const model::Consent& consent) {
    std::string types, organisations;
    for (const model::OrganisationType type : consent.organisation_types)
        types += (types.empty() ? "" : ", ") + std::string(model::to_string(type));
    for (const std::string& o : consent.organisations) organisations += (organisations.empty() ? "" : ", ") + o;
    if (types.empty() && organisations.empty()) return "it names no organisation or organisation type";
    std::string out = "it covers ";
    if (!types.empty()) out += "organisation types " + types;
    if (!types.empty() && !organisations.empty()) out += " and ";
    if (!organisations.empty()) out += "organisations " + organisations;
    return out;
}

}  // namespace

std::string iso_date(std::chrono::sys_days day) {
    const std::chrono::year_month_day ymd{day};
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return text;
}

ConsentCheck check_consent(const std::optional<model::Consent>& consent, const config::Organisation& recipient,
                           std::string_view purpose, const Directory& directory, std::chrono::sys_days today) {
    if (!consent) return {DecisionStatus::no_consent, "the referral records no consent"};
    const model::Consent& c = *consent;
    switch (c.status) {
    case model::ConsentStatus::given: break;
    case model::ConsentStatus::refused: return {DecisionStatus::consent_refused, "the person refused " + label(c)};
    case model::ConsentStatus::withdrawn: return {DecisionStatus::consent_withdrawn, "the person withdrew " + label(c)};
    }
    if (!c.expires.empty()) {
        // A date that cannot be read cannot show the consent still holds.
        if (!model::is_valid_date(c.expires))
            return {DecisionStatus::consent_expired, label(c) + " has an expiry date that is not a date"};
        // ISO dates compare as text at the precision the expiry was written.
        if (iso_date(today).substr(0, c.expires.size()) > c.expires)
            return {DecisionStatus::consent_expired, label(c) + " expired on " + c.expires};
    }
    if (!covers(c, recipient, directory))
        return {DecisionStatus::consent_out_of_scope, label(c) + " does not cover " + recipient.name + " (" +
                                                          recipient.ods_code + ", " +
                                                          std::string(config::to_string(recipient.type)) +
                                                          "): " + scope_text(c)};
    if (std::find(c.purposes.begin(), c.purposes.end(), purpose) == c.purposes.end()) {
        std::string listed;
        for (const std::string& p : c.purposes) listed += (listed.empty() ? "" : ", ") + p;
        return {DecisionStatus::consent_purpose, label(c) + " does not cover the purpose " + std::string(purpose) +
                                                     (listed.empty() ? " (it lists no purpose)"
                                                                     : " (it covers " + listed + ")")};
    }
    return {};
}

}  // namespace carebridge::gateway::policy
