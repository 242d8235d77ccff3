#include "http/outcome.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "issues/operation_outcome.hpp"

namespace carebridge::gateway::http {

Response outcome_response(unsigned status, std::string_view severity, std::string_view code, std::string_view message) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    w.Key("resourceType");
    w.String("OperationOutcome");
    w.Key("issue");
    w.StartArray();
    w.StartObject();
    w.Key("severity");
    w.String(severity.data(), static_cast<rapidjson::SizeType>(severity.size()));
    w.Key("code");
    w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
    w.Key("diagnostics");
    w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
    w.EndObject();
    w.EndArray();
    w.EndObject();
    Response r;
    r.status = status;
    r.content_type = std::string(fhir_json);
    r.body.assign(buffer.GetString(), buffer.GetSize());
    return r;
}

Response outcome_of(unsigned status, const issues::IssueSink& sink) {
    Response r;
    r.status = status;
    r.content_type = std::string(fhir_json);
    r.body = issues::to_operation_outcome_json(sink);
    return r;
}

unsigned decode_failure_status(const issues::IssueSink& sink) {
    return sink.count(issues::Severity::fatal) > 0 ? 400 : 422;
}

}  // namespace carebridge::gateway::http
