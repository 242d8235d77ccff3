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
#include "model/source_paths.hpp"
#include "codec/options.hpp"

namespace carebridge::fhir {

// The partnership's own FHIR namespace, for what UK Core has no home for:
// code systems live under `<base>/CodeSystem/…`, identifier systems under
// `<base>/Id/…`, extensions under `<base>/StructureDefinition/…` and the DIALOG+
// questionnaire at `<base>/Questionnaire/dialog-plus` (see fhir/MAPPING.md).
inline constexpr std::string_view default_partnership_base = "https://fhir.carebridge.example";

// Returns the record, or nullopt when the document cannot be used (sink.failed()).
std::optional<model::PersonRecord> decode(std::string_view json, const codec::DecodeOptions& options,
                                          issues::IssueSink& sink);

// As above, for a partnership that publishes its code systems under another base,
// and (when `source_paths` is given) saying where each referral, care plan,
// contact and admission stands in the Bundle.
std::optional<model::PersonRecord> decode(std::string_view json, const codec::DecodeOptions& options,
                                          std::string_view partnership_base, issues::IssueSink& sink,
                                          model::SourcePaths* source_paths = nullptr);

struct EncodeOptions {
    bool pretty = false;
    std::string partnership_base = std::string(default_partnership_base);
};

std::string encode(const model::PersonRecord& record, const EncodeOptions& options, issues::IssueSink& sink);

}  // namespace carebridge::fhir
