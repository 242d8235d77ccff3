#include "http/negotiation.hpp"

#include <array>
#include <cctype>
#include <cstdlib>
#include <string>

namespace carebridge::gateway::http {

using translation::Format;

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// The type/subtype of a media range, without parameters.
std::string_view essence(std::string_view media) { return trim(media.substr(0, media.find(';'))); }

// How well `range` (e.g. "application/*") matches `type`: -1 none, else specificity.
int match(std::string_view range, std::string_view type) {
    if (range == "*/*") return 0;
    const auto slash = range.find('/');
    if (slash != std::string_view::npos && range.substr(slash + 1) == "*")
        return iequals(range.substr(0, slash), type.substr(0, type.find('/'))) ? 1 : -1;
    return iequals(range, type) ? 2 : -1;
}

// Media types each format answers to, its own first.
struct Offer {
    Format format;
    std::string_view type;
};
constexpr std::array<Offer, 6> offers = {{
    {Format::fhir, "application/fhir+json"},
    {Format::referral, "application/vnd.carebridge.referral+json"},
    {Format::carenotes, "application/vnd.carebridge.carenotes+xml"},
    {Format::carenotes, "application/xml"},
    {Format::carenotes, "text/xml"},
    {Format::fhir, "application/json"},  // only when FHIR is preferred; see negotiate
}};

}  // namespace

std::string_view media_type(Format format) {
    switch (format) {
        case Format::fhir: return "application/fhir+json";
        case Format::referral: return "application/vnd.carebridge.referral+json";
        case Format::carenotes: return "application/xml";
        case Format::fhir_stu3: return "application/fhir+json; fhirVersion=3.0";
    }
    return "application/octet-stream";
}

FhirVersion fhir_version_of(std::string_view content_type) {
    const auto semi = content_type.find(';');
    std::string_view params = semi == std::string_view::npos ? std::string_view() : content_type.substr(semi + 1);
    for (std::size_t n = 0; !params.empty() && n < 16; ++n) {  // a hostile header cannot make this loop long
        const auto next = params.find(';');
        const std::string_view param = trim(params.substr(0, next));
        params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
        const auto eq = param.find('=');
        if (eq == std::string_view::npos || !iequals(trim(param.substr(0, eq)), "fhirVersion")) continue;
        std::string_view version = trim(param.substr(eq + 1));
        if (version.size() >= 2 && version.front() == '"' && version.back() == '"')
            version = version.substr(1, version.size() - 2);
        const auto is_release = [&](std::string_view release) {
            return version == release || (version.starts_with(release) && version.size() > release.size() &&
                                          version[release.size()] == '.');
        };
        if (is_release("3.0")) return FhirVersion::stu3;
        if (is_release("4.0")) return FhirVersion::r4;
        return FhirVersion::unsupported;
    }
    return FhirVersion::unspecified;
}

std::optional<Format> format_of_content_type(std::string_view content_type, Format assumed_json) {
    const std::string_view type = essence(content_type);
    const bool fhir = iequals(type, "application/fhir+json") ||
                      (iequals(type, "application/json") && assumed_json == Format::fhir);
    if (fhir) {
        switch (fhir_version_of(content_type)) {
            case FhirVersion::stu3: return Format::fhir_stu3;
            case FhirVersion::unsupported: return std::nullopt;
            default: return Format::fhir;
        }
    }
    if (iequals(type, "application/vnd.carebridge.referral+json")) return Format::referral;
    if (iequals(type, "application/json")) return assumed_json;
    if (iequals(type, "application/xml") || iequals(type, "text/xml") ||
        iequals(type, "application/vnd.carebridge.carenotes+xml"))
        return Format::carenotes;
    return std::nullopt;
}

std::optional<Format> negotiate(std::string_view accept, Format preferred) {
    if (trim(accept).empty()) return preferred;
    // Each format's quality is that of the most specific range matching one of its types.
    std::array<double, 3> quality = {-1, -1, -1};
    std::array<int, 3> specificity = {-1, -1, -1};
    std::size_t ranges = 0;
    while (!accept.empty() && ranges++ < 64) {  // a hostile header cannot make this loop long
        const auto comma = accept.find(',');
        const std::string_view item = accept.substr(0, comma);
        accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
        const std::string_view range = essence(item);
        if (range.empty()) continue;
        double q = 1.0;
        std::string_view params = item.find(';') == std::string_view::npos ? std::string_view()
                                                                             : item.substr(item.find(';') + 1);
        while (!params.empty()) {
            const auto semi = params.find(';');
            const std::string_view param = trim(params.substr(0, semi));
            params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
            if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
                const std::string value(param.substr(2));
                char* end = nullptr;
                q = std::strtod(value.c_str(), &end);
                if (end == value.c_str() || q < 0 || q > 1) q = 0;
            }
        }
        for (const Offer& offer : offers) {
            // application/json means FHIR only when FHIR is what this resource prefers.
            if (offer.type == "application/json" && preferred != Format::fhir) continue;
            const int m = match(range, offer.type);
            const auto f = static_cast<std::size_t>(offer.format);
            if (m > specificity[f]) {
                specificity[f] = m;
                quality[f] = q;
            }
        }
    }
    std::optional<Format> best;
    double best_q = 0;
    const auto consider = [&](Format f) {
        const double q = quality[static_cast<std::size_t>(f)];
        if (q > best_q) {
            best_q = q;
            best = f;
        }
    };
    consider(preferred);
    for (Format f : {Format::fhir, Format::referral, Format::carenotes}) consider(f);
    return best;
}

}  // namespace carebridge::gateway::http
