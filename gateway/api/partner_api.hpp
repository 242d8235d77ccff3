#pragma once
// The partner inbox and the admin dead-letter endpoints, for partners with no
// integration ("record once and report light") and for the IT team that
// watches deliveries. No sockets: the pipeline routes to these after it has
// screened the request (auth, rate, draining).
//
//   GET  /partners/{org}/inbox?after=CURSOR&limit=N   partner of {org}: its items, oldest first
//   POST /partners/{org}/inbox/{id}/ack                partner of {org}: mark an item acknowledged
//   GET  /admin/dead-letters[?recipient=ORG]           admin: dead letters with their count
//   POST /admin/dead-letters/{id}/retry                admin: queue one again
//   POST /admin/dead-letters/retry?recipient=ORG       admin: queue all of one recipient's again
//
// A partner only ever sees its own organisation's items: an {org} that is
// not the caller's, or an item of another organisation, is answered 404, as
// if it did not exist. Every inbox read and acknowledgement and every retry
// is recorded in the audit log, in the same commit as its effect, before the
// reply; nothing is disclosed when that commit fails (503).

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

// What the handlers need beyond the request.
struct PartnerApi {
    store::Store& store;
    std::shared_ptr<const config::Config> config;  // for organisations' ids, ODS codes and aliases
    std::function<void()> requeued;                // after a retry commits: DeliveryWorker::wake
};

// Called exactly once, on the caller's thread or after the store's commit
// on the store's writer thread.
using PartnerReply = std::function<void(http::Response)>;

// The inbox and dead-letter endpoints, for the gateway's endpoint table:
// partners for the inbox (the handlers narrow it to the caller's own
// organisation), admins for dead letters. `api` is asked at each call.
std::vector<Endpoint> partner_endpoints(std::function<PartnerApi()> api);

// {"items":[{id, cursor, message_id, service, created_at, state, format,
// content_type, document}], "next": cursor|null}. The document is embedded
// as JSON when its content type is JSON, else a string (care-notes XML).
// `next` is null when nothing follows the page now; each item's cursor lets
// a polling script ask for what came after the last item it saw.
void list_inbox(const http::Request& request, const http::Principal& principal, std::string_view organisation,
                const PartnerApi& api, PartnerReply reply);
// 200 {"id", "state": "acknowledged"}, the same for a repeat (nothing more is recorded).
void ack_inbox_item(const http::Request& request, const http::Principal& principal, std::string_view organisation,
                    std::string_view item_id, const PartnerApi& api, PartnerReply reply);
// {"count", "items":[{id, cursor, message_id, recipient, recipient_ods,
// service, created_at, attempts, last_error}], "next"}: metadata, no documents.
void list_dead_letters(const http::Request& request, const http::Principal& principal, const PartnerApi& api,
                       PartnerReply reply);
// 200 {"id", "state": "pending"}; 404 unknown; 409 when it is not a dead letter.
void retry_dead_letter(const http::Request& request, const http::Principal& principal, std::string_view item_id,
                       const PartnerApi& api, PartnerReply reply);
// 200 {"recipient", "requeued": N, "remaining": M}; 400 without ?recipient=.
// Each retry resets the item's attempts and makes it due at once.
void retry_dead_letters(const http::Request& request, const http::Principal& principal, const PartnerApi& api,
                        PartnerReply reply);

}  // namespace carebridge::gateway::api
