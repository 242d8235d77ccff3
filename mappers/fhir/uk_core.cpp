#include "fhir/uk_core.hpp"

#include <array>
#include <utility>

namespace carebridge::fhir::uk_core {
namespace {

using model::ReferralStatus;

template <typename Range> bool contains(const Range& range, std::string_view code) {
    for (std::string_view c : range)
        if (c == code) return true;
    return false;
}

struct CodeDisplay {
    std::string_view code;
    std::string_view display;
};

constexpr std::array<CodeDisplay, 28> legal_statuses{{
    {"01", "Informal"},
    {"02", "Formally detained under Mental Health Act Section 2"},
    {"03", "Formally detained under Mental Health Act Section 3"},
    {"04", "Formally detained under Mental Health Act Section 4"},
    {"05", "Formally detained under Mental Health Act Section 5(2)"},
    {"06", "Formally detained under Mental Health Act Section 5(4)"},
    {"07", "Formally detained under Mental Health Act Section 35"},
    {"08", "Formally detained under Mental Health Act Section 36"},
    {"09", "Formally detained under Mental Health Act Section 37 with section 41 restrictions"},
    {"10", "Formally detained under Mental Health Act Section 37"},
    {"12", "Formally detained under Mental Health Act Section 38"},
    {"13", "Formally detained under Mental Health Act Section 44"},
    {"14", "Formally detained under Mental Health Act Section 46"},
    {"15", "Formally detained under Mental Health Act Section 47 with section 49 restrictions"},
    {"16", "Formally detained under Mental Health Act Section 47"},
    {"17", "Formally detained under Mental Health Act Section 48 with section 49 restrictions"},
    {"18", "Formally detained under Mental Health Act Section 48"},
    {"19", "Formally detained under Mental Health Act Section 135"},
    {"20", "Formally detained under Mental Health Act Section 136"},
    {"31", "Formally detained under Criminal Procedure (Insanity) Act 1964"},
    {"32", "Formally detained under other acts"},
    {"35", "Subject to guardianship under Mental Health Act Section 7"},
    {"36", "Subject to guardianship under Mental Health Act Section 37"},
    {"37", "Formally detained under Mental Health Act Section 45A (Limited direction in force)"},
    {"38", "Formally detained under Mental Health Act Section 45A (Limitation direction ended)"},
    {"98", "Not Applicable"},
    {"99", "Not Known"},
    {"", ""},
}};

// The CareConnect-era spellings of the verification codes, in code order 01..08.
constexpr std::array<std::string_view, 8> legacy_verification_codes{
    "number-present-and-verified",
    "number-present-but-not-traced",
    "trace-required",
    "trace-attempted-no-match-or-multiple-match-found",
    "trace-needs-to-be-resolved",
    "trace-in-progress",
    "number-not-present-and-trace-not-required",
    "trace-postponed",
};
constexpr std::array<std::string_view, 8> verification_codes{"01", "02", "03", "04", "05", "06", "07", "08"};

}  // namespace

bool is_ods_system(std::string_view system) {
    return system == ods_organization_system || system == "https://fhir.nhs.uk/id/ods-organization-code";
}

bool is_ethnic_category_system(std::string_view system) {
    return system == ethnic_category_system || system == "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategory";
}

bool is_nhs_number_verification_system(std::string_view system) {
    return system == nhs_number_verification_system ||
           system == "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatus" ||
           system == "https://fhir.nhs.uk/R4/CodeSystem/CodeSystem-UKCore-NHSNumberVerificationStatus" ||
           system == "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1";
}

std::string_view nhs_number_verification_code(std::string_view code) {
    for (std::size_t i = 0; i < verification_codes.size(); ++i)
        if (code == verification_codes[i] || code == legacy_verification_codes[i]) return verification_codes[i];
    return {};
}

std::string_view priority_code(model::Priority p) {
    switch (p) {
    case model::Priority::green: return "routine";
    case model::Priority::amber: return "urgent";
    case model::Priority::red: return "asap";
    }
    return "routine";
}

std::optional<model::Priority> parse_priority(std::string_view code, bool& was_stat) {
    was_stat = false;
    if (code == "routine") return model::Priority::green;
    if (code == "urgent") return model::Priority::amber;
    if (code == "asap") return model::Priority::red;
    if (code == "stat") {
        was_stat = true;
        return model::Priority::red;
    }
    return std::nullopt;
}

std::string_view service_request_status(ReferralStatus s) {
    switch (s) {
    case ReferralStatus::submitted:
    case ReferralStatus::received:
    case ReferralStatus::accepted:
    case ReferralStatus::waiting:
    case ReferralStatus::in_progress: return "active";
    case ReferralStatus::not_contactable: return "on-hold";
    case ReferralStatus::declined_by_service:
    case ReferralStatus::declined_by_person:
    case ReferralStatus::withdrawn: return "revoked";
    case ReferralStatus::completed:
    case ReferralStatus::discharged: return "completed";
    }
    return "active";
}

std::string_view task_status(ReferralStatus s) {
    switch (s) {
    case ReferralStatus::submitted: return "requested";
    case ReferralStatus::received: return "received";
    case ReferralStatus::accepted: return "accepted";
    case ReferralStatus::declined_by_service: return "rejected";
    case ReferralStatus::declined_by_person: return "cancelled";
    case ReferralStatus::waiting: return "ready";
    case ReferralStatus::in_progress: return "in-progress";
    case ReferralStatus::not_contactable: return "on-hold";
    case ReferralStatus::completed:
    case ReferralStatus::discharged: return "completed";
    case ReferralStatus::withdrawn: return "cancelled";
    }
    return "requested";
}

std::optional<ReferralStatus> status_from_task(std::string_view status, bool& known) {
    known = true;
    if (status == "draft" || status == "requested") return ReferralStatus::submitted;
    if (status == "received") return ReferralStatus::received;
    if (status == "accepted") return ReferralStatus::accepted;
    if (status == "rejected") return ReferralStatus::declined_by_service;
    if (status == "ready") return ReferralStatus::waiting;
    if (status == "in-progress") return ReferralStatus::in_progress;
    if (status == "on-hold") return ReferralStatus::not_contactable;
    if (status == "completed") return ReferralStatus::completed;
    if (status == "cancelled") return ReferralStatus::withdrawn;
    if (status == "failed") return ReferralStatus::not_contactable;
    known = status == "entered-in-error";
    return std::nullopt;
}

std::optional<ReferralStatus> status_from_service_request(std::string_view status, bool& known) {
    known = true;
    if (status == "draft" || status == "active" || status == "unknown") return ReferralStatus::submitted;
    if (status == "on-hold") return ReferralStatus::not_contactable;
    if (status == "revoked") return ReferralStatus::withdrawn;
    if (status == "completed") return ReferralStatus::completed;
    known = status == "entered-in-error";
    return std::nullopt;
}

bool is_request_intent(std::string_view code) {
    static constexpr std::string_view codes[] = {"proposal",       "plan",          "directive",
                                                 "order",          "original-order", "reflex-order",
                                                 "filler-order",   "instance-order", "option"};
    return contains(codes, code);
}

std::string_view source_snomed_code(model::ReferralSource s) {
    switch (s) {
    case model::ReferralSource::gp: return "108161000000109";
    case model::ReferralSource::self: return "310434002";
    case model::ReferralSource::council: return "185365002";
    default: return {};
    }
}

std::string_view source_snomed_display(model::ReferralSource s) {
    switch (s) {
    case model::ReferralSource::gp: return "Referred by general practitioner";
    case model::ReferralSource::self: return "Self-referral to service";
    case model::ReferralSource::council: return "Referred by social worker";
    default: return {};
    }
}

std::optional<model::ReferralSource> source_from_snomed(std::string_view code) {
    static constexpr std::string_view gp[] = {"108161000000109", "185359002", "2021000124102", "276491000"};
    static constexpr std::string_view self[] = {"310434002", "306098008", "1991000124105", "183690008",
                                                "1036481000000106", "304301000000105"};
    if (contains(gp, code)) return model::ReferralSource::gp;
    if (contains(self, code)) return model::ReferralSource::self;
    if (code == "185365002") return model::ReferralSource::council;
    return std::nullopt;
}

std::string_view contact_method_code(model::ContactMethod m) {
    switch (m) {
    case model::ContactMethod::letter: return "1";
    case model::ContactMethod::phone: return "3";
    case model::ContactMethod::email: return "4";
    case model::ContactMethod::text: return {};
    }
    return {};
}

std::string_view contact_method_display(model::ContactMethod m) {
    switch (m) {
    case model::ContactMethod::letter: return "Letter";
    case model::ContactMethod::phone: return "Telephone";
    case model::ContactMethod::email: return "E-mail";
    case model::ContactMethod::text: return {};
    }
    return {};
}

std::optional<model::ContactMethod> contact_method_from_code(std::string_view code) {
    if (code == "1") return model::ContactMethod::letter;
    if (code == "3") return model::ContactMethod::phone;
    if (code == "4") return model::ContactMethod::email;
    return std::nullopt;
}

std::string_view risk_probability_code(model::RiskLevel level) {
    switch (level) {
    case model::RiskLevel::low: return "low";
    case model::RiskLevel::medium: return "moderate";
    case model::RiskLevel::high: return "high";
    }
    return "low";
}

std::optional<model::RiskLevel> risk_level_from_probability(std::string_view code) {
    if (code == "low" || code == "negligible") return model::RiskLevel::low;
    if (code == "moderate") return model::RiskLevel::medium;
    if (code == "high" || code == "certain") return model::RiskLevel::high;
    return std::nullopt;
}

bool is_legal_status_code(std::string_view code) { return !legal_status_display(code).empty(); }

std::string_view legal_status_display(std::string_view code) {
    if (code.empty()) return {};
    for (const auto& entry : legal_statuses)
        if (entry.code == code) return entry.display;
    return {};
}

bool is_goal_lifecycle_status(std::string_view code) {
    static constexpr std::string_view codes[] = {"proposed",  "planned",   "accepted",         "active",
                                                 "on-hold",   "completed", "cancelled",        "rejected",
                                                 "entered-in-error"};
    return contains(codes, code);
}

bool is_care_plan_activity_status(std::string_view code) {
    static constexpr std::string_view codes[] = {"not-started", "scheduled", "in-progress",
                                                 "on-hold",     "completed", "cancelled",
                                                 "stopped",     "unknown",   "entered-in-error"};
    return contains(codes, code);
}

bool is_name_use(std::string_view code) {
    static constexpr std::string_view codes[] = {"usual",     "official", "temp", "nickname",
                                                 "anonymous", "old",      "maiden"};
    return contains(codes, code);
}

std::string_view care_plan_status_code(model::CarePlanStatus s) { return model::to_string(s); }

std::optional<model::CarePlanStatus> care_plan_status_from_code(std::string_view code) {
    return model::parse_code<model::CarePlanStatus>(code);
}

}  // namespace carebridge::fhir::uk_core
