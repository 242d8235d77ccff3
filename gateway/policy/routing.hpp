#pragma once
// Routing: who receives a referral, and what each recipient may see.
//
// route() is a pure function of the record, the sender, the directory and the
// time. For one referral it:
//  0. reads each need the sender coded in SNOMED CT or wrote as text through
//     the terminology table (terminology.hpp), so criteria and rules below see
//     the partnership's needs; every Decision records how ("need isolation
//     matched by SNOMED CT 1234"), and names a SNOMED CT code the table lacks;
//  1. takes the referral's own targets (model::Target: an ODS code, old code or
//     alias, and a service), then every routing rule that matches, in order;
//     a service named twice is considered once, under the first that named it.
//     A target naming only an organisation that runs several services goes to
//     the one open service there that fits (criteria); of several that fit,
//     to the one the first matching routing rule names, else the first the
//     directory lists, and the Decision says why; none fitting refuses the
//     referral (no_fitting_service, organisation_closed);
//  2. refuses the whole referral - nothing is sent - when a target names an
//     unknown organisation or service, or a service that is paused, closed or
//     does not take this person (criteria); the Refusal names the status and
//     lists the open services whose criteria the referral meets. A service
//     only a rule chose is skipped instead (a deny Decision), unless that
//     leaves nothing to send, which is refused in the same way;
//  3. for each remaining service, checks the agreement from the sender to its
//     organisation (covering the purpose, "direct-care" for a referral) and
//     the person's consent (consent.hpp); a failure is a deny Decision and no
//     Recipient;
//  4. gives each allowed recipient a minimised copy of the record (the
//     agreement's profile, minimise.hpp) with, for VCSE organisations, the
//     glossary applied to its free text (glossary.hpp).
// Every candidate gets a Decision, allowed or not, for the audit log.
//
// What the caller answers: a Refusal → 422 with an OperationOutcome carrying
// its message (403 for unknown_sender, a sender a reload removed); no Refusal
// and no Recipient → 422 listing the deny Decisions' reasons (refused consent,
// no agreement); otherwise accept and deliver to each Recipient.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "model/record.hpp"
#include "policy/decision.hpp"
#include "policy/directory.hpp"
#include "policy/terminology.hpp"
#include "translation/format.hpp"

namespace carebridge::gateway::policy {

// The purpose of disclosing a referral.
inline constexpr std::string_view direct_care = "direct-care";
// Decision::rule and Recipient::rule for a service the referral named itself.
inline constexpr std::string_view target_rule = "target";

struct Recipient {
    std::string organisation;  // directory id
    std::string organisation_ods;
    std::string organisation_name;
    config::OrganisationType organisation_type = config::OrganisationType::vcse;
    std::string service;  // service id
    std::string service_name;
    std::string rule;  // routing rule id, or "target"
    std::string agreement;
    std::string purpose;
    model::LawfulBasis lawful_basis;  // the agreement's
    std::string profile;              // minimisation profile id
    std::string consent;              // Consent::id
    translation::Format format = translation::Format::referral;  // the endpoint's, else the organisation's
    std::optional<config::Endpoint> endpoint;                    // none: the partner's pull inbox
    model::PersonRecord record;                 // minimised; glossary applied for VCSE organisations
    std::vector<std::string> fields_sent;       // minimise.hpp field names, for the audit log
    std::vector<std::string> fields_withheld;
    std::vector<std::string> glossary_terms;  // terms expanded in its free text
};

// Why a referral is refused as a whole. The caller answers 422 (403 for unknown_sender).
enum class RefusalKind {
    no_referral,           // the record holds no referral
    several_referrals,     // route() takes one referral; route_referral() picks one of several
    unknown_sender,        // the sending organisation is not in the directory
    unknown_organisation,  // a target names an organisation the directory does not know
    unknown_service,       // a target names a service its organisation does not run
    service_not_open,      // a target's service is paused or closed, or every service the rules chose is
    criteria_not_met,      // the person is outside a target service's criteria, or every rule-chosen one's
    no_route,              // no target, and no routing rule matches
    unknown_need,          // as no_route, and a need's SNOMED CT code is not in the terminology table (named)
    no_fitting_service,    // a target names only an organisation, and none of its open services fits the referral
    organisation_closed,   // a target names only an organisation, and none of its services is open
};
std::string_view to_string(RefusalKind kind);

// An open service whose criteria the referral meets.
struct Alternative {
    std::string organisation;  // directory id
    std::string organisation_ods;
    std::string organisation_name;
    std::string service;
    std::string service_name;
    config::ServiceContactPoint contact;
};

struct Refusal {
    RefusalKind kind = RefusalKind::no_route;
    std::string message;       // one paragraph for the submitter: the service, its status, the alternatives
    std::string organisation;  // directory id, or the target's text when unknown
    std::string service;
    std::optional<config::ServiceStatus> status;  // the service's, for service_not_open
    std::vector<Alternative> alternatives;
};

struct RoutingOutcome {
    std::string policy_version;
    std::string purpose;
    std::vector<Recipient> recipients;  // empty whenever refusal is set
    std::vector<Decision> decisions;    // one per candidate, in the order considered
    std::optional<Refusal> refusal;
    // What the terminology table made of the sender's needs ("need isolation
    // matched by SNOMED CT 1234; SNOMED CT 5678 is not in the terminology table"); empty: nothing to match.
    std::string need_match;
};

// Routes the record's one referral; several_referrals when it holds more.
RoutingOutcome route(const model::PersonRecord& record, std::string_view sender, const Directory& directory,
                     std::chrono::system_clock::time_point now);

// Routes the referral at `referral_index`; each recipient's copy carries that referral only.
RoutingOutcome route_referral(const model::PersonRecord& record, std::size_t referral_index, std::string_view sender,
                              const Directory& directory, std::chrono::system_clock::time_point now);

// The open services whose criteria the referral meets, in directory order.
std::vector<Alternative> open_alternatives(const model::PersonRecord& record, const model::Referral& referral,
                                           const Directory& directory, std::chrono::sys_days today);

}  // namespace carebridge::gateway::policy
