#pragma once
// The closed code sets of the canonical record. Each enum has one spelling on
// the wire (the partnership's published short code, lower-kebab-case) shared by
// all three formats; FHIR and care-notes map to and from it in their own mappers.

#include <optional>
#include <string_view>

namespace carebridge::model {

enum class ReferralStatus {
    submitted,
    received,
    accepted,
    declined_by_service,
    declined_by_person,
    waiting,
    in_progress,
    not_contactable,
    completed,
    discharged,
    withdrawn,
};

// RAG priority: green ↔ FHIR routine, amber ↔ urgent, red ↔ asap.
enum class Priority { green, amber, red };

enum class Pathway { light_touch, full };

enum class ReferralSource { gp, nhs_team, safeguarding, vcse, police, self, council };

enum class Gender { male, female, other, unknown };

enum class ContactMethod { phone, text, email, letter };

enum class RiskLevel { low, medium, high };

// given ↔ FHIR Consent active+permit, refused ↔ active+deny, withdrawn ↔ inactive.
enum class ConsentStatus { given, refused, withdrawn };

enum class OrganisationType { trust, council, gp, vcse, icb };

enum class CareTeamRole { key_worker, care_coordinator, social_worker, lead_professional, other };

enum class Need {
    food,
    medication,
    isolation,
    housing,
    debt,
    benefits,
    advocacy,
    employment,
    physical_health,
    substance_use,
    carer_support,
    mental_health,
    other,
};

enum class CarePlanStatus { draft, active, on_hold, revoked, completed };

enum class ContactType { face_to_face, telephone, video, did_not_attend };

// DIALOG+: eight life domains then three treatment items, in the scale's order.
enum class DialogDomain {
    mental_health,
    physical_health,
    job_situation,
    accommodation,
    leisure_activities,
    partner_family,
    friendships,
    personal_safety,
    medication,
    practical_help,
    meetings_with_professionals,
};
inline constexpr int dialog_domain_count = 11;

// One spelling per value; parse returns nullopt for anything else so the
// caller reports the bad value with its path.
std::string_view to_string(ReferralStatus v);
std::string_view to_string(Priority v);
std::string_view to_string(Pathway v);
std::string_view to_string(ReferralSource v);
std::string_view to_string(Gender v);
std::string_view to_string(ContactMethod v);
std::string_view to_string(RiskLevel v);
std::string_view to_string(ConsentStatus v);
std::string_view to_string(OrganisationType v);
std::string_view to_string(CareTeamRole v);
std::string_view to_string(Need v);
std::string_view to_string(CarePlanStatus v);
std::string_view to_string(ContactType v);
std::string_view to_string(DialogDomain v);

template <typename Enum> std::optional<Enum> parse_code(std::string_view s);

// NHS number verification status (UK Core NHSNumberVerificationStatusEngland):
// "01".."08". Kept as its two-digit code.
bool is_nhs_number_verification_code(std::string_view code);
std::string_view nhs_number_verification_display(std::string_view code);

// Ethnic category (UK Core EthnicCategoryEngland): A–H, J–N, P, R, S, Z (not
// stated), 99 (not known). The granular code is kept; never collapsed.
bool is_ethnic_category_code(std::string_view code);
std::string_view ethnic_category_display(std::string_view code);

}  // namespace carebridge::model
