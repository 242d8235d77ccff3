#pragma once
// Media types: which format a request body is in, and which format an Accept
// header asks for (RFC 9110 §12.5.1, with q-values and wildcards).

#include <optional>
#include <string_view>

#include "translation/format.hpp"

namespace carebridge::gateway::http {

// The media type each format is served as.
std::string_view media_type(translation::Format format);

// The FHIR version a FHIR media type's `fhirVersion` parameter names
// (application/fhir+json; fhirVersion=3.0): 3.0 or 3.0.x is STU3, 4.0 or
// 4.0.x R4; anything else is a version the gateway does not read.
enum class FhirVersion { unspecified, r4, stu3, unsupported };
FhirVersion fhir_version_of(std::string_view content_type);

// The format a Content-Type names (parameters such as charset ignored), or
// nullopt. application/json is read as `assumed_json`, since /fhir and
// /referrals each know which JSON they take. A FHIR type with fhirVersion=3.0
// is fhir_stu3; with a fhirVersion neither 3.0 nor 4.0, nullopt.
std::optional<translation::Format> format_of_content_type(std::string_view content_type,
                                                          translation::Format assumed_json);

// The best format the Accept header allows among the three, preferring
// `preferred` on ties and for */* or an absent header. nullopt: 406.
std::optional<translation::Format> negotiate(std::string_view accept, translation::Format preferred);

}  // namespace carebridge::gateway::http
