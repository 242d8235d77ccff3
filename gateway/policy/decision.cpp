#include "policy/decision.hpp"

namespace carebridge::gateway::policy {

std::string_view to_string(DecisionStatus status) {
    switch (status) {
    case DecisionStatus::allowed: return "allowed";
    case DecisionStatus::unknown_organisation: return "unknown-organisation";
    case DecisionStatus::unknown_service: return "unknown-service";
    case DecisionStatus::service_not_open: return "service-not-open";
    case DecisionStatus::criteria_not_met: return "criteria-not-met";
    case DecisionStatus::no_agreement: return "no-agreement";
    case DecisionStatus::purpose_not_agreed: return "purpose-not-agreed";
    case DecisionStatus::no_consent: return "no-consent";
    case DecisionStatus::consent_refused: return "consent-refused";
    case DecisionStatus::consent_withdrawn: return "consent-withdrawn";
    case DecisionStatus::consent_expired: return "consent-expired";
    case DecisionStatus::consent_out_of_scope: return "consent-out-of-scope";
    case DecisionStatus::consent_purpose: return "consent-purpose";
    }
    return "unknown";
}

}  // namespace carebridge::gateway::policy
