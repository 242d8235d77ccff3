#pragma once
// A request target (path and query, e.g. /audit/events?nhs=9990000018&limit=10)
// read once, the same way by every endpoint: the path without its query, and
// each query parameter percent-decoded (RFC 3986 §2.1; '+' is a space, as
// HTML forms send it).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace carebridge::gateway::http {

// The path: the target up to its '?'.
std::string_view path_of(std::string_view target);

// The path's segments between '/', e.g. /referrals/abc/status -> {"referrals", "abc", "status"};
// empty segments (//, a trailing /) are kept as empty strings.
std::vector<std::string_view> path_segments(std::string_view target);

// Percent-decodes `text`; nullopt for a malformed escape (a '%' not followed by two hex digits).
std::optional<std::string> percent_decoded(std::string_view text);

// The query's parameters in order, each name and value decoded; nullopt when
// one is malformed (a bad escape). A parameter without '=' has an empty value.
using QueryParameters = std::vector<std::pair<std::string, std::string>>;
std::optional<QueryParameters> query_parameters(std::string_view target);

// A count or cursor in a query (after=, limit=): decimal digits only, at most
// 2^63 - 1 because the stores keep positions as signed 64-bit integers and a
// larger one would wrap; nullopt otherwise (empty, a sign, a space, too large).
std::optional<std::uint64_t> parse_count(std::string_view text);

// The first value of `name`, decoded; nullopt when it is absent or malformed.
std::optional<std::string> query_value(std::string_view target, std::string_view name);

}  // namespace carebridge::gateway::http
