#pragma once
// One push attempt: a POST of an outbox item's document to a partner's
// endpoint with Beast, over TLS (the system's or a configured CA, the host
// name checked, optionally our client certificate) unless the endpoint
// allows plain HTTP. Every step has its own timeout; a connection is used
// for one attempt and closed, so no state outlives it.
//
//   resolve ─► connect ─► TLS handshake ─► write ─► read the response ─► done
//
// Headers sent: Content-Type (the item's), Idempotency-Key (stable for the
// item, so a receiver can drop a repeat after a retry or a restart),
// Authorization: Bearer (from the endpoint's environment variable), User-Agent.

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

#include "delivery/delivery_options.hpp"
#include "delivery/push_endpoint.hpp"
#include "delivery/retry_policy.hpp"

namespace carebridge::gateway::delivery {

struct PushRequest {
    PushEndpoint endpoint;
    std::string content_type;
    std::string idempotency_key;
    // The gateway's id of the referral, sent as Carebridge-Referral-Id: what a
    // partner names when it posts the referral's status (ServiceRequest/{id}
    // as a FHIR Task's focus, or /referrals/{id}/status). Empty: not sent.
    std::string referral_id;
    std::string body;
};

// A running attempt, to cancel when the worker stops.
class PushAttempt {
public:
    virtual ~PushAttempt() = default;
    // Ends the attempt as soon as possible; `done` then gets cancelled = true
    // unless the response had already arrived. Safe from any thread.
    virtual void cancel() = 0;
};

// Starts an attempt on `io`. `done` is called exactly once, on a thread
// running `io`, with what the partner answered or the step that failed.
std::shared_ptr<PushAttempt> start_push(boost::asio::io_context& io, PushRequest request,
                                        const DeliveryOptions& options, std::function<void(AttemptResult)> done);

}  // namespace carebridge::gateway::delivery
