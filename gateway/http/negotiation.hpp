#pragma once
// Media types: which format a request body is in, and which format an Accept
// header asks for (RFC 9110 §12.5.1, with q-values and wildcards).

#include <optional>
#include <string_view>

#include "translation/format.hpp"

namespace carebridge::gateway::http {

// The media type each format is served as.
std::string_view media_type(translation::Format format);

// The format a Content-Type names (parameters such as charset ignored), or
// nullopt. application/json is read as `assumed_json`, since /fhir and
// /referrals each know which JSON they take.
std::optional<translation::Format> format_of_content_type(std::string_view content_type,
                                                          translation::Format assumed_json);

// The best format the Accept header allows among the three, preferring
// `preferred` on ties and for */* or an absent header. nullopt: 406.
std::optional<translation::Format> negotiate(std::string_view accept, translation::Format preferred);

}  // namespace carebridge::gateway::http
