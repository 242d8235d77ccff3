#pragma once
// The NHS, UK Core and HL7 systems the FHIR codec speaks, and the code tables
// between them and the canonical record. Published URLs only; the partnership's
// own systems are in partnership.hpp.

#include <optional>
#include <string_view>

#include "model/codes.hpp"

namespace carebridge::fhir::uk_core {

// Identifier systems.
inline constexpr std::string_view nhs_number_system = "https://fhir.nhs.uk/Id/nhs-number";
inline constexpr std::string_view ods_organization_system = "https://fhir.nhs.uk/Id/ods-organization-code";

// Extensions.
inline constexpr std::string_view nhs_number_verification_extension =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus";
inline constexpr std::string_view ethnic_category_extension =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory";
inline constexpr std::string_view contact_preference_extension =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ContactPreference";
inline constexpr std::string_view interpreter_required_extension =
    "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired";
inline constexpr std::string_view source_of_service_request_extension =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-SourceOfServiceRequest";
inline constexpr std::string_view legal_status_extension =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-LegalStatus";

// Code systems.
inline constexpr std::string_view nhs_number_verification_system =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland";
inline constexpr std::string_view ethnic_category_system =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland";
inline constexpr std::string_view preferred_contact_method_system =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-PreferredContactMethod";
inline constexpr std::string_view human_language_system = "https://fhir.hl7.org.uk/CodeSystem/UKCore-HumanLanguage";
inline constexpr std::string_view bcp47_system = "urn:ietf:bcp:47";
inline constexpr std::string_view legal_status_context_system =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-LegalStatusContext";
inline constexpr std::string_view legal_status_classification_system =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-LegalStatusClassificationEngland";
inline constexpr std::string_view snomed_system = "http://snomed.info/sct";
inline constexpr std::string_view icd10_system = "http://hl7.org/fhir/sid/icd-10";
inline constexpr std::string_view act_code_system = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
inline constexpr std::string_view risk_probability_system = "http://terminology.hl7.org/CodeSystem/risk-probability";
inline constexpr std::string_view consent_scope_system = "http://terminology.hl7.org/CodeSystem/consentscope";
inline constexpr std::string_view loinc_system = "http://loinc.org";
inline constexpr std::string_view participation_type_system =
    "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";

// SNOMED CT 1300561000000107 |High risk category for developing complication
// from COVID-19 infection| — the NHS shielded-patient flag.
inline constexpr std::string_view shielded_snomed_code = "1300561000000107";
inline constexpr std::string_view shielded_snomed_display =
    "High risk category for developing complication from coronavirus disease caused by severe acute "
    "respiratory syndrome coronavirus 2 infection";

// NHS convention for a person with no fixed abode.
inline constexpr std::string_view no_fixed_abode_postcode = "ZZ99 3VZ";

// Systems that older UK Core / CareConnect senders still use; read, never written.
bool is_ods_system(std::string_view system);  // also the lower-case `/id/` spelling BaRS uses
bool is_ethnic_category_system(std::string_view system);
bool is_nhs_number_verification_system(std::string_view system);
// "01".."08" from the current code, or the older spelled-out codes
// ("number-present-and-verified", …); empty when neither.
std::string_view nhs_number_verification_code(std::string_view code);

// ServiceRequest.priority: green ↔ routine, amber ↔ urgent, red ↔ asap; stat
// reads as red and sets `was_stat` so the caller can warn.
std::string_view priority_code(model::Priority p);
std::optional<model::Priority> parse_priority(std::string_view code, bool& was_stat);

// The status table (fhir/MAPPING.md): ServiceRequest.status and Task.status for
// each referral status; Task.businessStatus carries the exact partnership code.
std::string_view service_request_status(model::ReferralStatus s);
std::string_view task_status(model::ReferralStatus s);
// Reading a Task with no partnership businessStatus, or a ServiceRequest with no
// status Task. Empty optional = a FHIR status with no referral meaning
// (entered-in-error) or not a FHIR code at all (`known` false).
std::optional<model::ReferralStatus> status_from_task(std::string_view task_status, bool& known);
std::optional<model::ReferralStatus> status_from_service_request(std::string_view status, bool& known);
bool is_request_intent(std::string_view code);

// SourceOfServiceRequest: SNOMED CT where a concept fits (UK Core's preferred
// binding); empty for sources only the partnership code system names.
std::string_view source_snomed_code(model::ReferralSource s);
std::string_view source_snomed_display(model::ReferralSource s);
std::optional<model::ReferralSource> source_from_snomed(std::string_view code);

// UKCore-PreferredContactMethod: letter 1, phone 3, email 4; text (SMS) has no
// UK Core code and goes in the partnership system.
std::string_view contact_method_code(model::ContactMethod m);
std::string_view contact_method_display(model::ContactMethod m);
std::optional<model::ContactMethod> contact_method_from_code(std::string_view code);

// RiskAssessment.prediction.qualitativeRisk: low / moderate / high.
std::string_view risk_probability_code(model::RiskLevel level);
std::optional<model::RiskLevel> risk_level_from_probability(std::string_view code);

// Mental Health Act legal status classification (England), "01".."99".
bool is_legal_status_code(std::string_view code);
std::string_view legal_status_display(std::string_view code);

// FHIR value sets the record keeps as strings, checked on the way in.
bool is_goal_lifecycle_status(std::string_view code);
bool is_care_plan_activity_status(std::string_view code);
bool is_name_use(std::string_view code);

std::string_view care_plan_status_code(model::CarePlanStatus s);
std::optional<model::CarePlanStatus> care_plan_status_from_code(std::string_view code);

}  // namespace carebridge::fhir::uk_core
