#pragma once
// The partnership's own FHIR systems, for what neither UK Core nor base FHIR has
// a home for. Each is a suffix under the configurable base
// (default https://fhir.carebridge.example), so a partnership can publish them
// under its own domain without a code change. The table is fhir/MAPPING.md.

#include <string>
#include <string_view>

namespace carebridge::fhir::partnership {

// Identifier systems.
inline constexpr std::string_view local_client_id = "/Id/local-client-id";
inline constexpr std::string_view referral_id = "/Id/referral";
inline constexpr std::string_view consent_id = "/Id/consent";
inline constexpr std::string_view care_plan_id = "/Id/care-plan";
inline constexpr std::string_view contact_id = "/Id/service-contact";
inline constexpr std::string_view admission_id = "/Id/admission";

// Code systems.
inline constexpr std::string_view referral_pathway = "/CodeSystem/referral-pathway";
inline constexpr std::string_view referral_source = "/CodeSystem/referral-source";
inline constexpr std::string_view referral_status = "/CodeSystem/referral-status";
inline constexpr std::string_view referral_task = "/CodeSystem/referral-task";
inline constexpr std::string_view referral_need = "/CodeSystem/referral-need";
inline constexpr std::string_view requested_service = "/CodeSystem/requested-service";
inline constexpr std::string_view flag_category = "/CodeSystem/flag-category";
inline constexpr std::string_view risk_flag = "/CodeSystem/risk-flag";
inline constexpr std::string_view complexity_flag = "/CodeSystem/complexity-flag";
inline constexpr std::string_view consent_purpose = "/CodeSystem/consent-purpose";
inline constexpr std::string_view organisation_type = "/CodeSystem/organisation-type";
inline constexpr std::string_view care_team_role = "/CodeSystem/care-team-role";
inline constexpr std::string_view contact_type = "/CodeSystem/contact-type";
inline constexpr std::string_view contact_method = "/CodeSystem/contact-method";
inline constexpr std::string_view care_plan_category = "/CodeSystem/care-plan-category";
inline constexpr std::string_view message_event = "/CodeSystem/message-event";

// Extensions.
inline constexpr std::string_view referral_version_extension = "/StructureDefinition/Extension-ReferralVersion";
inline constexpr std::string_view lawful_basis_extension = "/StructureDefinition/Extension-LawfulBasis";
inline constexpr std::string_view safe_to_call_extension = "/StructureDefinition/Extension-SafeToCallAtHome";
inline constexpr std::string_view digital_access_extension = "/StructureDefinition/Extension-DigitalAccess";
inline constexpr std::string_view review_date_extension = "/StructureDefinition/Extension-CarePlanReviewDate";
inline constexpr std::string_view consent_organisation_type_extension =
    "/StructureDefinition/Extension-ConsentOrganisationType";

// Canonical URLs.
inline constexpr std::string_view dialog_questionnaire = "/Questionnaire/dialog-plus";
inline constexpr std::string_view gateway_endpoint = "/gateway";

// Codes of the partnership's task, flag and care-plan categories.
inline constexpr std::string_view task_status_code = "status";
inline constexpr std::string_view task_hop_code = "hop";
inline constexpr std::string_view flag_risk_code = "risk";
inline constexpr std::string_view flag_complexity_code = "complexity";
inline constexpr std::string_view crisis_plan_code = "crisis-plan";
inline constexpr std::string_view contingency_plan_code = "contingency-plan";
inline constexpr std::string_view referral_event_code = "referral";

// A base plus the suffixes above, compared without building strings.
class Systems {
public:
    explicit Systems(std::string_view base) : base_(base) {
        while (!base_.empty() && base_.back() == '/') base_.remove_suffix(1);
    }
    std::string_view base() const { return base_; }
    bool is(std::string_view url, std::string_view suffix) const {
        return url.size() == base_.size() + suffix.size() && url.substr(0, base_.size()) == base_ &&
               url.substr(base_.size()) == suffix;
    }
    std::string url(std::string_view suffix) const {
        std::string out;
        out.reserve(base_.size() + suffix.size());
        out.append(base_).append(suffix);
        return out;
    }

private:
    std::string_view base_;
};

}  // namespace carebridge::fhir::partnership
