#pragma once

#include <optional>
#include <string_view>

namespace carebridge::translation {

// The three formats the gateway translates between, any to any.
enum class Format {
    fhir,       // FHIR R4 JSON, UK Core conventions
    carenotes,  // the Trust EPR's care-notes XML export
    referral,   // the partnership referral JSON (partnership-referral/1)
};

std::string_view to_string(Format f);
std::optional<Format> parse_format(std::string_view s);

}  // namespace carebridge::translation
