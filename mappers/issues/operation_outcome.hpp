#pragma once
// Renders the data-quality channel as a FHIR R4 OperationOutcome: one issue per
// Issue with severity, code, diagnostics (the message) and expression (the path).

#include <string>

#include "issues/issue.hpp"

namespace carebridge::issues {

std::string to_operation_outcome_json(const IssueSink& sink, bool pretty = false);

// The first line a person reads: "2 errors, 1 warning; first: <path>: <message>".
std::string one_line_summary(const IssueSink& sink);

}  // namespace carebridge::issues
