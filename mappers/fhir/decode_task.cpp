#include "fhir/decode_task.hpp"

#include <rapidjson/document.h>

#include "fhir/fhir_codec.hpp"
#include "fhir/object_reader.hpp"
#include "fhir/uk_core.hpp"
#include "json/bounded_json.hpp"
#include "model/validate.hpp"

namespace carebridge::fhir {
namespace {

bool is_task_status(std::string_view s) {
    bool known = false;
    (void)uk_core::status_from_task(s, known);
    return known;
}

void copy_codings(const Concept& read, std::vector<TaskCoding>& out) {
    for (std::size_t i = 0; i < read.count; ++i)
        out.push_back({std::string(read.codings[i].system), std::string(read.codings[i].code),
                       std::string(read.codings[i].display)});
}

void read_task(ObjectReader& task, DecodedTask& out) {
    DecodeContext& context = task.context();
    task.ignore("resourceType");  // checked before the reader was made
    // The id and meta are the sender's; the gateway answers with its own step id.
    task.ignore("id");
    task.ignore("meta");
    // Narrative restates the coded elements, which are read in their own right.
    task.ignore("text");

    if (const auto status = required_string(task, "status")) {
        out.status.assign(*status);
        if (!is_task_status(*status))
            context.invalid(task.child("status"), quoted(*status) + " is not an R4 Task status");
    }
    if (const auto intent = required_string(task, "intent")) out.intent.assign(*intent);

    Concept business;
    if (read_concept(task, "businessStatus", business)) copy_codings(business, out.business_status);
    Concept reason;
    if (read_concept(task, "statusReason", reason)) {
        out.status_reason_text.assign(reason.text);
        copy_codings(reason, out.status_reason);
    }

    Ref focus;
    if (read_reference(task, "focus", focus)) out.focus_reference.assign(focus.reference);
    Ref owner;
    if (read_reference(task, "owner", owner)) out.owner_reference.assign(owner.reference);
    Ref subject;
    if (read_reference(task, "for", subject)) {
        out.for_system.assign(subject.identifier_system);
        out.for_value.assign(subject.identifier_value);
        if (subject.identifier_system == uk_core::nhs_number_system && !model::is_valid_nhs_number(out.for_value))
            // The number itself stays out of the message: outcomes get logged.
            context.invalid(task.child("for").child("identifier").child("value"),
                            "not a valid NHS number: it must be ten digits passing the modulus 11 check");
    }
}

}  // namespace

std::optional<DecodedTask> decode_task(std::string_view json, const codec::DecodeOptions& options,
                                       issues::IssueSink& sink) {
    std::string buffer;  // the document's strings live here
    rapidjson::Document document;
    if (!json::parse_bounded(json, options.limits, buffer, document, sink)) return std::nullopt;
    if (!document.IsObject()) {
        sink.fatal(IssueType::structure, "", "a Task is a JSON object");
        return std::nullopt;
    }
    const auto type = document.FindMember("resourceType");
    if (type == document.MemberEnd() || !type->value.IsString() || view(type->value) != "Task") {
        sink.error(IssueType::structure, "", "resourceType is not Task");
        return std::nullopt;
    }
    DecodeContext context(sink, options.strictness, default_partnership_base);
    const ElementPath root("Task");
    DecodedTask out;
    {
        ObjectReader task(context, document, root);
        read_task(task, out);
    }
    return out;
}

}  // namespace carebridge::fhir
