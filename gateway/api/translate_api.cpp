// POST /translate?from=F&to=T: stateless translation; nothing is stored.
#include "api/pipeline.hpp"

#include "http/negotiation.hpp"
#include "http/outcome.hpp"
#include "http/target.hpp"
#include "translation/translator.hpp"

namespace carebridge::gateway::api {

using http::outcome_of;
using http::query_value;

http::Response Pipeline::translate(const http::Request& request) {
    translation::TranslateRequest t;
    t.from = *translation::parse_format(query_value(request.target, "from").value_or(""));
    t.to = *translation::parse_format(query_value(request.target, "to").value_or(""));
    t.decode.limits = config()->limits.decode;
    t.decode.limits.max_document_bytes = config()->limits.max_json_body_bytes;
    t.stream_limits = config()->limits.exports;
    t.pretty = false;
    issues::IssueSink sink;
    http::Response r;
    const auto summary = translation::translate_text(t, request.body, [&](std::string_view chunk) { r.body += chunk; },
                                                     sink);
    if (!summary.ok()) {
        // As POST /fhir: a body that cannot be read (a JSON syntax error is a fatal issue) is 400, readable but wrong 422.
        const bool unreadable = summary.fatal || sink.count(issues::Severity::fatal) > 0;
        metrics_.count_rejection(unreadable ? http::Rejection::malformed : http::Rejection::invalid_content);
        return outcome_of(unreadable ? 400 : 422, sink);
    }
    r.content_type = summary.ndjson ? "application/x-ndjson" : std::string(http::media_type(t.to));
    r.headers.emplace_back("Carebridge-Warnings", std::to_string(sink.count(issues::Severity::warning)));
    return r;
}

}  // namespace carebridge::gateway::api
