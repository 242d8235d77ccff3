#pragma once
// Errors as every endpoint answers them: a FHIR OperationOutcome
// (application/fhir+json), with the HTTP status that goes with it.

#include <string_view>

#include "http/exchange.hpp"
#include "issues/issue.hpp"

namespace carebridge::gateway::http {

inline constexpr std::string_view fhir_json = "application/fhir+json";

// An OperationOutcome with one issue, for errors the gateway itself raises.
Response outcome_response(unsigned status, std::string_view severity, std::string_view code, std::string_view message);

// An OperationOutcome of every issue a decoder reported.
Response outcome_of(unsigned status, const issues::IssueSink& sink);

// The status a failed decode earns: unreadable (a fatal issue) is 400, readable but wrong 422.
unsigned decode_failure_status(const issues::IssueSink& sink);

}  // namespace carebridge::gateway::http
