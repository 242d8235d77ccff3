#include "translation/format.hpp"

namespace carebridge::translation {

std::string_view to_string(Format f) {
    switch (f) {
    case Format::fhir: return "fhir";
    case Format::carenotes: return "carenotes";
    case Format::referral: return "referral";
    case Format::fhir_stu3: return "fhir-stu3";
    }
    return "fhir";
}

std::optional<Format> parse_format(std::string_view s) {
    if (s == "fhir") return Format::fhir;
    if (s == "carenotes") return Format::carenotes;
    if (s == "referral") return Format::referral;
    if (s == "fhir-stu3") return Format::fhir_stu3;
    return std::nullopt;
}

bool is_writable(Format f) { return f != Format::fhir_stu3; }

}  // namespace carebridge::translation
