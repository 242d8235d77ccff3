#include "model/codes.hpp"

#include <array>
#include <cstddef>
#include <utility>

namespace carebridge::model {
namespace {

// The wire spelling of each enum value, indexed by the enum's underlying value.
template <typename Enum> struct Spellings;

#define CAREBRIDGE_SPELLINGS(Enum, ...)                                        \
    template <> struct Spellings<Enum> {                                       \
        static constexpr std::string_view names[] = {__VA_ARGS__};             \
    }

CAREBRIDGE_SPELLINGS(ReferralStatus, "submitted", "received", "accepted", "declined-by-service",
                     "declined-by-person", "waiting", "in-progress", "not-contactable", "completed",
                     "discharged", "withdrawn");
CAREBRIDGE_SPELLINGS(Priority, "green", "amber", "red");
CAREBRIDGE_SPELLINGS(Pathway, "light-touch", "full");
CAREBRIDGE_SPELLINGS(ReferralSource, "gp", "nhs-team", "safeguarding", "vcse", "police", "self",
                     "council");
CAREBRIDGE_SPELLINGS(Gender, "male", "female", "other", "unknown");
CAREBRIDGE_SPELLINGS(ContactMethod, "phone", "text", "email", "letter");
CAREBRIDGE_SPELLINGS(RiskLevel, "low", "medium", "high");
CAREBRIDGE_SPELLINGS(ConsentStatus, "given", "refused", "withdrawn");
CAREBRIDGE_SPELLINGS(OrganisationType, "trust", "council", "gp", "vcse", "icb");
CAREBRIDGE_SPELLINGS(CareTeamRole, "key-worker", "care-coordinator", "social-worker",
                     "lead-professional", "other");
CAREBRIDGE_SPELLINGS(Need, "food", "medication", "isolation", "housing", "debt", "benefits",
                     "advocacy", "employment", "physical-health", "substance-use", "carer-support",
                     "mental-health", "other");
CAREBRIDGE_SPELLINGS(CarePlanStatus, "draft", "active", "on-hold", "revoked", "completed");
CAREBRIDGE_SPELLINGS(ContactType, "face-to-face", "telephone", "video", "did-not-attend");
CAREBRIDGE_SPELLINGS(DialogDomain, "mental-health", "physical-health", "job-situation",
                     "accommodation", "leisure-activities", "partner-family", "friendships",
                     "personal-safety", "medication", "practical-help",
                     "meetings-with-professionals");

#undef CAREBRIDGE_SPELLINGS

template <typename Enum> std::string_view spell(Enum v) {
    const auto i = static_cast<std::size_t>(v);
    const auto& names = Spellings<Enum>::names;
    return i < std::size(names) ? names[i] : std::string_view{};
}

struct CodeDisplay {
    std::string_view code;
    std::string_view display;
};

constexpr std::array<CodeDisplay, 8> verification_codes{{
    {"01", "Number present and verified"},
    {"02", "Number present but not traced"},
    {"03", "Trace required"},
    {"04", "Trace attempted - No match or multiple match found"},
    {"05", "Trace needs to be resolved - (NHS Number or patient detail conflict)"},
    {"06", "Trace in progress"},
    {"07", "Number not present and trace not required"},
    {"08", "Trace postponed (baby under six weeks old)"},
}};

constexpr std::array<CodeDisplay, 18> ethnic_categories{{
    {"A", "White - British"},
    {"B", "White - Irish"},
    {"C", "White - Any other White background"},
    {"D", "Mixed - White and Black Caribbean"},
    {"E", "Mixed - White and Black African"},
    {"F", "Mixed - White and Asian"},
    {"G", "Mixed - Any other mixed background"},
    {"H", "Asian or Asian British - Indian"},
    {"J", "Asian or Asian British - Pakistani"},
    {"K", "Asian or Asian British - Bangladeshi"},
    {"L", "Asian or Asian British - Any other Asian background"},
    {"M", "Black or Black British - Caribbean"},
    {"N", "Black or Black British - African"},
    {"P", "Black or Black British - Any other Black background"},
    {"R", "Other Ethnic Groups - Chinese"},
    {"S", "Other Ethnic Groups - Any other ethnic group"},
    {"Z", "Not stated"},
    {"99", "Not known"},
}};

template <std::size_t N>
std::string_view find_display(const std::array<CodeDisplay, N>& table, std::string_view code) {
    for (const auto& entry : table)
        if (entry.code == code) return entry.display;
    return {};
}

}  // namespace

std::string_view to_string(ReferralStatus v) { return spell(v); }
std::string_view to_string(Priority v) { return spell(v); }
std::string_view to_string(Pathway v) { return spell(v); }
std::string_view to_string(ReferralSource v) { return spell(v); }
std::string_view to_string(Gender v) { return spell(v); }
std::string_view to_string(ContactMethod v) { return spell(v); }
std::string_view to_string(RiskLevel v) { return spell(v); }
std::string_view to_string(ConsentStatus v) { return spell(v); }
std::string_view to_string(OrganisationType v) { return spell(v); }
std::string_view to_string(CareTeamRole v) { return spell(v); }
std::string_view to_string(Need v) { return spell(v); }
std::string_view to_string(CarePlanStatus v) { return spell(v); }
std::string_view to_string(ContactType v) { return spell(v); }
std::string_view to_string(DialogDomain v) { return spell(v); }

template <typename Enum> std::optional<Enum> parse_code(std::string_view s) {
    const auto& names = Spellings<Enum>::names;
    for (std::size_t i = 0; i < std::size(names); ++i)
        if (names[i] == s) return static_cast<Enum>(i);
    return std::nullopt;
}

template std::optional<ReferralStatus> parse_code<ReferralStatus>(std::string_view);
template std::optional<Priority> parse_code<Priority>(std::string_view);
template std::optional<Pathway> parse_code<Pathway>(std::string_view);
template std::optional<ReferralSource> parse_code<ReferralSource>(std::string_view);
template std::optional<Gender> parse_code<Gender>(std::string_view);
template std::optional<ContactMethod> parse_code<ContactMethod>(std::string_view);
template std::optional<RiskLevel> parse_code<RiskLevel>(std::string_view);
template std::optional<ConsentStatus> parse_code<ConsentStatus>(std::string_view);
template std::optional<OrganisationType> parse_code<OrganisationType>(std::string_view);
template std::optional<CareTeamRole> parse_code<CareTeamRole>(std::string_view);
template std::optional<Need> parse_code<Need>(std::string_view);
template std::optional<CarePlanStatus> parse_code<CarePlanStatus>(std::string_view);
template std::optional<ContactType> parse_code<ContactType>(std::string_view);
template std::optional<DialogDomain> parse_code<DialogDomain>(std::string_view);

bool is_nhs_number_verification_code(std::string_view code) {
    return !find_display(verification_codes, code).empty();
}
std::string_view nhs_number_verification_display(std::string_view code) {
    return find_display(verification_codes, code);
}
bool is_ethnic_category_code(std::string_view code) {
    return !find_display(ethnic_categories, code).empty();
}
std::string_view ethnic_category_display(std::string_view code) {
    return find_display(ethnic_categories, code);
}

}  // namespace carebridge::model
