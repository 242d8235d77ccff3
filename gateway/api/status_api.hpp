#pragma once
// A referral's status and history: the organisations it was routed to say
// what became of it, and the originator hears back. No sockets: the pipeline
// routes to these after it has screened the request (auth, rate, draining).
//
//   POST /referrals/{id}/status    a recipient of {id}, or its sender: add a step to its history
//   POST /fhir/Task                the same, as a FHIR Task whose focus is ServiceRequest/{id}
//   GET  /referrals/{id}/history   its sender, a recipient, or an admin: the history as JSON
//
// The body of a status update is partnership JSON:
//   {"status": "accepted", "reason": "...", "service": "befriending"}
// with status one of received, accepted, declined, waiting, contacted,
// not-contactable, completed, discharged — or a FHIR R4 Task (on either
// path): Task.status (received, accepted, rejected → declined, ready →
// waiting, in-progress → contacted, on-hold/failed → not-contactable,
// completed), refined by a businessStatus coding from the partnership's
// referral-status system (e.g. completed + "discharged"); statusReason is
// the reason, owner HealthcareService/{service id} the service, focus
// ServiceRequest/{id} the referral, and `for` (by NHS number) must be its
// person. A Task is answered with itself, given the id of its history step. One commit holds the history row, a status_changed
// audit entry and an outbox row for the originator and for each other
// organisation named on the referral's care plan, each a
// {"schema": "partnership-status/1", ...} document with the whole history
// (status/status_notice.hpp, shared with the escalation timer).
// A referral declined by two or more organisations or services is bouncing:
// the answer, the notifications and the audit entry say so, so the next team
// reuses the assessment instead of repeating it.
//
// An organisation that neither sent nor received {id} is answered 404, as if
// it did not exist; nothing is recorded or sent when the commit fails (503).

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/endpoint_table.hpp"
#include "config/config.hpp"
#include "http/auth.hpp"
#include "http/exchange.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::api {

// The statuses a partner may post.
bool is_referral_status(std::string_view status);

// What the handlers need beyond the request.
struct StatusApi {
    store::Store& store;
    std::shared_ptr<const config::Config> config;  // organisations' ids, ODS codes and endpoints
    std::function<void()> queued;                  // after notifications commit: DeliveryWorker::wake
};

// Called exactly once, on the caller's thread or after the store's commit
// on the store's writer thread.
using StatusReply = std::function<void(http::Response)>;

// The status and history endpoints, for the gateway's endpoint table: partners
// and submitters post (the handler checks the caller is a party to the
// referral), admins also read. `api` is asked at each call.
std::vector<Endpoint> status_endpoints(std::function<StatusApi()> api);

// 201 {"referral", "organisation", "status", "bouncing", "notified": [ODS], "history": [...]}
// (a Task: the Task); 400 unreadable JSON; 422 an unknown status or service, or
// a Task that does not fit; 404 not a party to {id}. An empty `message_id`
// (POST /fhir/Task) takes the referral from the Task's focus.
void post_status(const http::Request& request, const http::Principal& principal, std::string_view message_id,
                 const StatusApi& api, StatusReply reply);

// 200 {"referral", "bouncing", "history": [{organisation, service, status, reason, time}]}.
void read_history(const http::Request& request, const http::Principal& principal, std::string_view message_id,
                  const StatusApi& api, StatusReply reply);

}  // namespace carebridge::gateway::api
