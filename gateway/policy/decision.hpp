#pragma once
// One policy decision: may this referral be disclosed to this service, and
// why (not). Every candidate recipient gets one, allowed or not, so the audit
// log can answer "who was considered, under which rule and version, and why
// did they (not) receive it".

#include <string>
#include <string_view>

#include "model/record.hpp"

namespace carebridge::gateway::policy {

// The closed set of outcomes. Everything but `allowed` sends nothing to that
// recipient; the ones marked (refusal) also refuse the whole referral when the
// referral named the service itself (routing.hpp, RefusalKind).
enum class DecisionStatus {
    allowed,               // an agreement covers the purpose, consent covers the recipient, the service is open
    unknown_organisation,  // a target names an organisation the directory does not know (refusal)
    unknown_service,       // a target names a service its organisation does not run (refusal)
    service_not_open,      // the service is paused or closed (refusal for a target)
    criteria_not_met,      // the person is outside the service's criteria (refusal for a target)
    no_agreement,          // no agreement lets the sender disclose to this organisation
    purpose_not_agreed,    // agreements between the two exist, but none covers the purpose
    no_consent,            // the referral records no consent
    consent_refused,       // the person refused consent
    consent_withdrawn,     // the person withdrew consent
    consent_expired,       // the consent's expiry date has passed
    consent_out_of_scope,  // the consent names neither the recipient nor its organisation type
    consent_purpose,       // the consent does not cover the purpose
};

// Lower-kebab codes for the audit log: "allowed", "no-agreement", "consent-expired", ...
std::string_view to_string(DecisionStatus status);

struct Decision {
    DecisionStatus status = DecisionStatus::no_agreement;
    std::string organisation;      // directory id; empty when the target named no known organisation
    std::string organisation_ods;  // as resolved, or as the target gave it
    std::string service;           // service id (or the target's text when unknown)
    std::string rule;              // the routing rule's id, or "target" for the referral's own target
    std::string policy_version;
    std::string agreement;  // agreement id; empty when none applied
    model::LawfulBasis lawful_basis;
    std::string purpose;  // e.g. "direct-care"
    std::string consent;  // Consent::id; empty when the referral records none
    std::string reason;   // one sentence for the submitter and the audit log; no patient data
    // How the terminology table read the sender's needs ("need isolation matched by SNOMED CT 1234",
    // "need housing matched by text \"housing advice\""); empty when it had nothing to read.
    std::string need_match;

    bool allowed() const { return status == DecisionStatus::allowed; }
    std::string_view verdict() const { return allowed() ? "allow" : "deny"; }
};

}  // namespace carebridge::gateway::policy
