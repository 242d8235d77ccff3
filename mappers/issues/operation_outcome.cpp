#include "issues/operation_outcome.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace carebridge::issues {
namespace {

template <typename Writer> void write_outcome(Writer& w, const IssueSink& sink) {
    auto str = [&w](std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
    w.StartObject();
    w.Key("resourceType");
    str("OperationOutcome");
    w.Key("issue");
    w.StartArray();
    for (const Issue& issue : sink.issues()) {
        w.StartObject();
        w.Key("severity");
        str(to_string(issue.severity));
        w.Key("code");
        str(to_string(issue.type));
        w.Key("diagnostics");
        str(issue.message);
        if (!issue.path.empty()) {
            w.Key("expression");
            w.StartArray();
            str(issue.path);
            w.EndArray();
        }
        w.EndObject();
    }
    if (sink.omitted() > 0) {
        w.StartObject();
        w.Key("severity");
        str("information");
        w.Key("code");
        str("too-costly");
        w.Key("diagnostics");
        str(std::to_string(sink.omitted()) + " further issues were not listed");
        w.EndObject();
    }
    // FHIR requires at least one issue: an empty sink says all is well.
    if (sink.empty()) {
        w.StartObject();
        w.Key("severity");
        str("information");
        w.Key("code");
        str("informational");
        w.Key("diagnostics");
        str("no issues");
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
}

std::string plural(std::size_t n, std::string_view word) {
    return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

}  // namespace

std::string to_operation_outcome_json(const IssueSink& sink, bool pretty) {
    rapidjson::StringBuffer buffer;
    if (pretty) {
        rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
        w.SetIndent(' ', 2);
        write_outcome(w, sink);
    } else {
        rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
        write_outcome(w, sink);
    }
    return {buffer.GetString(), buffer.GetSize()};
}

std::string one_line_summary(const IssueSink& sink) {
    const std::size_t bad = sink.count(Severity::fatal) + sink.count(Severity::error);
    std::string out = plural(bad, "error") + ", " + plural(sink.count(Severity::warning), "warning");
    for (const Issue& issue : sink.issues()) {
        if (issue.severity != Severity::fatal && issue.severity != Severity::error) continue;
        out += "; first: ";
        if (!issue.path.empty()) out += issue.path + ": ";
        out += issue.message;
        break;
    }
    return out;
}

}  // namespace carebridge::issues
