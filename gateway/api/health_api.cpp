// /healthz, /readyz and /metrics: what a load balancer and Prometheus ask,
// answered without credentials because none of it is patient data.

#include "api/pipeline.hpp"
#include "http/outcome.hpp"

namespace carebridge::gateway::api {

http::Response Pipeline::health() {
    http::Response r;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "ok\n";
    return r;
}

http::Response Pipeline::ready() {
    if (draining()) return http::outcome_response(503, "error", "transient", "draining");
    if (!store_.ready()) return http::outcome_response(503, "error", "transient", "the store is not reachable");
    http::Response r;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "ready\n";
    return r;
}

http::Response Pipeline::metrics_text() {
    http::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_.render();
    return r;
}

}  // namespace carebridge::gateway::api
