#pragma once
// Decoding a FHIR R4 Task, the resource a partner posts to change a
// referral's status, as every other decoder does: through ObjectReader, so an
// element the gateway does not read is reported by its path (a warning when
// lenient, an error when strict), a wrong type is an error at its path, and the
// JSON is read within the caller's limits (a breach or a syntax error is fatal).
//
// The decoder only reads; what a status, businessStatus or focus means for a
// referral is decided by the status endpoint (gateway/api/status_api.cpp).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/options.hpp"
#include "issues/issue.hpp"

namespace carebridge::fhir {

struct TaskCoding {
    std::string system, code, display;
};

// A Task as read: strings as posted ("" when absent or of the wrong type).
struct DecodedTask {
    std::string status;                       // Task.status, an R4 TaskStatus code
    std::string intent;                       // Task.intent ("order" for a referral)
    std::vector<TaskCoding> business_status;  // Task.businessStatus.coding
    std::string status_reason_text;           // Task.statusReason.text
    std::vector<TaskCoding> status_reason;    // Task.statusReason.coding
    std::string focus_reference;              // Task.focus.reference (ServiceRequest/{id})
    std::string for_system, for_value;        // Task.for.identifier
    std::string owner_reference;              // Task.owner.reference (HealthcareService/{id})
};

// nullopt when `json` is not a JSON object within `options.limits` (fatal) or
// not a Task (error at the root). Otherwise the Task as read, with every issue
// in `sink`; the caller checks sink.failed() before trusting it.
std::optional<DecodedTask> decode_task(std::string_view json, const codec::DecodeOptions& options,
                                       issues::IssueSink& sink);

}  // namespace carebridge::fhir
