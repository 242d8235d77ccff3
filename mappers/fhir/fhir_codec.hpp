#pragma once
// FHIR R4 JSON (UK Core conventions) ↔ the canonical record.
//
// decode accepts a Bundle of type message (MessageHeader first), transaction or
// collection, or a single resource, and resolves references inside the bundle
// (fullUrl, urn:uuid:, relative Type/id). Every element it cannot carry into the
// record is reported as a warning (lenient) or an error (strict) with its path.
// encode writes a Bundle with the same conventions: a message Bundle with a
// MessageHeader when the record has a referral, a collection otherwise.

#include <optional>
#include <string>
#include <string_view>

#include "issues/issue.hpp"
#include "model/record.hpp"
#include "translation/options.hpp"

namespace carebridge::fhir {

// Returns the record, or nullopt when the document cannot be used (sink.failed()).
std::optional<model::PersonRecord> decode(std::string_view json, const translation::DecodeOptions& options,
                                          issues::IssueSink& sink);

struct EncodeOptions {
    bool pretty = false;
};

std::string encode(const model::PersonRecord& record, const EncodeOptions& options, issues::IssueSink& sink);

}  // namespace carebridge::fhir
