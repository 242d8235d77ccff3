#pragma once
// A request and its response as the pipeline sees them: no sockets, no TLS,
// no Beast types. The session fills a Request from the wire; the HTTP fuzz
// target fills one from bytes; both get the same Response back.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace carebridge::gateway::http {

enum class Method { get, head, post, put, patch, delete_, options, other };

// Who is at the other end, as the transport established it.
struct Caller {
    std::string remote_address;       // for the access log; never patient data
    std::string certificate_subject;  // RFC 2253, empty without a verified client certificate
};

struct Request {
    Method method = Method::other;
    std::string target;  // path and query, e.g. /translate?from=fhir&to=referral
    std::string content_type;
    std::string content_length;  // as sent; empty when chunked or absent
    std::string accept;
    std::string authorization;
    std::string idempotency_key;
    std::string body;       // the whole body, for everything but a care-notes export
    std::string body_file;  // a care-notes export streamed to this file instead; removed by the session
    Caller caller;
};

struct Response {
    unsigned status = 200;
    std::string content_type;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // e.g. Location, Retry-After
    bool close = false;  // close the connection after this response (draining, abuse)
};

}  // namespace carebridge::gateway::http
