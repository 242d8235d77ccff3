#pragma once
// Parsing JSON from outside: RapidJSON's reader with the caller's limits on
// size, nesting depth and string length enforced while it reads, so a hostile
// document is stopped before it is built, and every failure becomes one fatal
// issue that names the limit or the byte offset of the syntax error.

#include <rapidjson/document.h>

#include <string>
#include <string_view>

#include "issues/issue.hpp"
#include "codec/options.hpp"

namespace carebridge::json {

// Returns false (and reports a fatal issue) when `text` is not one well-formed
// JSON value within `limits`, or is not valid UTF-8, or holds a NUL byte.
//
// The text is copied into `buffer` and parsed in place: the document's strings
// point into `buffer`, which must outlive `doc`. In-place parsing saves a
// quarter of the parse time (an allocation and copy per string), and the
// parse is most of the cost of a translation (see bench/RESULTS.md).
bool parse_bounded(std::string_view text, const codec::Limits& limits, std::string& buffer,
                   rapidjson::Document& doc, issues::IssueSink& sink);

// The JSON type of a value in words, for messages: "an object", "a string", …
std::string_view describe_type(const rapidjson::Value& v);

}  // namespace carebridge::json
