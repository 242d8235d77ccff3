#pragma once

#include <optional>
#include <string_view>

namespace carebridge::translation {

// The three formats the gateway translates between, any to any, and FHIR STU3,
// which it reads but never writes (is_writable).
enum class Format {
    fhir,       // FHIR R4 JSON, UK Core conventions
    carenotes,  // the Trust EPR's care-notes XML export
    referral,   // the partnership referral JSON (partnership-referral/1)
    fhir_stu3,  // FHIR STU3 JSON (NHS e-Referral Service, CareConnect): decode only
};

std::string_view to_string(Format f);
std::optional<Format> parse_format(std::string_view s);
// False for a format the gateway reads but does not write (FHIR STU3).
bool is_writable(Format f);

}  // namespace carebridge::translation
