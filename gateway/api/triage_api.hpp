#pragma once
// The triage queue: referrals the directory could not route (an unknown or
// closed organisation or service, no route, criteria not met) from a
// submitter whose config says "on_unroutable": "triage" (the default). Such a
// referral is stored with its reason and answered 202 with an
// OperationOutcome and a Task to poll (intake/plan.hpp), instead of the bare
// 422 that left it bouncing with nobody in the partnership hearing of it.
// No sockets: the pipeline routes to these after it has screened the request.
//
//   GET  /triage?after=CURSOR&limit=N&state=open|rerouted|returned
//                                   admin: the queue, oldest first (metadata, no payloads)
//   POST /triage/{id}/$reroute      admin: {"service": ID, "organisation": ID (when the
//                                   service id is not unique), "note": TEXT}: route the
//                                   referral to that service through the normal checks
//                                   (agreement, consent, minimisation), queue its copies
//   POST /triage/{id}/$return       admin: {"reason": TEXT}: return it to its sender
//   GET  /fhir/Task/{id}            its sender or an admin: the referral's Task —
//                                   status received + businessStatus triage while held,
//                                   rejected + statusReason once returned, requested +
//                                   businessStatus routed (owner the service) once
//                                   re-routed, then what the service posts
//
// Each step commits its effect, a step in the referral's history, a status
// notice to the sender and a status_changed audit entry together; a step on
// an item already re-routed or returned (by another admin, or another
// instance) is answered 409 and changes nothing. Reading the queue and the
// Task is itself audited. A re-route the checks refuse (no agreement,
// consent refused, a closed service) is answered 422 with the reason, its
// decisions are recorded, and the item stays open.

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "api/endpoint_table.hpp"
#include "config/config.hpp"
#include "http/auth.hpp"
#include "http/exchange.hpp"
#include "policy/directory.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::api {

// What the handlers need beyond the request.
struct TriageApi {
    store::Store& store;
    std::shared_ptr<const config::Config> config;
    std::shared_ptr<const policy::Directory> directory;  // null: an intake-only gateway, nothing can be re-routed
    std::function<void()> queued;                        // after copies or notices commit: DeliveryWorker::wake
};

// Called exactly once, on the caller's thread or on the store's writer thread.
using TriageReply = std::function<void(http::Response)>;

// The queue's endpoints (admins) and the Task poll (submitters and admins).
// `api` is asked at each call.
std::vector<Endpoint> triage_endpoints(std::function<TriageApi()> api);

// 200 {"items": [{id, cursor, state, kind, reason, sender, sender_ods,
// referral_id, received_at, created_at, updated_at, organisation, service,
// return_reason, task}], "next": cursor|null}; 400 a bad cursor, limit or state.
void list_triage(const http::Request& request, const http::Principal& principal, const TriageApi& api,
                 TriageReply reply);
// 200 {"id", "state": "rerouted", "organisation", "service", "task", "disclosures": [...]};
// 400 unreadable body; 404 no such item; 409 not open; 410 payload purged;
// 422 unknown service, or the checks refused it.
void reroute_triage(const http::Request& request, const http::Principal& principal, std::string_view message_id,
                    const TriageApi& api, TriageReply reply);
// 200 {"id", "state": "returned", "reason", "task"}; 400/404/409/422 as above.
void return_triage(const http::Request& request, const http::Principal& principal, std::string_view message_id,
                   const TriageApi& api, TriageReply reply);
// 200 the Task (application/fhir+json); 404 neither a triaged referral of the caller's nor (for an admin) any.
void read_task(const http::Request& request, const http::Principal& principal, std::string_view message_id,
               const TriageApi& api, TriageReply reply);

}  // namespace carebridge::gateway::api
