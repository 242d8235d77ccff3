#pragma once
// FHIR STU3 JSON (the NHS e-Referral Service and CareConnect profiles) → the
// canonical record, read only: a ReferralRequest with its Patient,
// Practitioner and Organization becomes the same record as the R4
// ServiceRequest that says the same. The document is rewritten element by
// element into the R4 shape the R4 decoder reads (rewrite.hpp), so both
// versions share one set of rules; every issue names its element path in the
// STU3 input, and each STU3 element with no R4 home is reported there as not
// carried (a warning when lenient, an error when strict). There is no STU3
// encoder: the gateway writes R4.

#include <optional>
#include <string_view>

#include "codec/options.hpp"
#include "issues/issue.hpp"
#include "model/record.hpp"
#include "model/source_paths.hpp"

namespace carebridge::fhir_stu3 {

// Returns the record, or nullopt when the document cannot be used (sink.failed()).
// `source_paths`, when given, says where each referral stands in the STU3 document.
std::optional<model::PersonRecord> decode(std::string_view json, const codec::DecodeOptions& options,
                                          issues::IssueSink& sink, model::SourcePaths* source_paths = nullptr);

// True when a FHIR JSON document declares itself STU3: a meta.profile of the
// root or of a Bundle entry's resource under the NHS or HL7 UK STU3
// namespaces (https://fhir.nhs.uk/STU3/…, CareConnect at
// https://fhir.hl7.org.uk/STU3/…), or a ReferralRequest, which R4 does not
// have. False for anything unreadable: the R4 decoder then reports why.
bool declares_stu3(std::string_view json, const codec::Limits& limits);

}  // namespace carebridge::fhir_stu3
