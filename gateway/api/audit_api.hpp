#pragma once
// The audit log's read side: the API information-governance leads answer
// "who disclosed what about whom, to whom, why, under which consent and
// rule" with, and the proofs that the log they are shown is complete and
// only grew. No sockets: the pipeline routes here after it has screened the
// request (auth, rate, draining).
//
//   GET /audit/events?nhs=&organisation=&recipient=&action=&outcome=&from=&to=&after=&limit=&order=
//                                      a page of entries, oldest first (order=desc: newest first),
//                                      as JSON, CSV (Accept: text/csv or format=csv) or a FHIR R4
//                                      Bundle of AuditEvents (Accept: application/fhir+json or format=fhir)
//   GET /audit/events/{seq}            one entry with its chain hashes and Merkle leaf hash
//   GET /audit/report?nhs=             "who saw my data": every disclosure, delivery and read about one
//                                      person in time order, printable HTML (JSON with Accept: application/json)
//   GET /audit/checkpoints/latest      the latest signed checkpoint and the key that signed it
//                                      (the first one is signed on demand)
//   GET /audit/checkpoints/consistency?from=N[&to=M]
//                                      RFC 6962 consistency proof between two signed checkpoints
//   GET /audit/proof/{seq}             RFC 6962 inclusion proof of an entry in the latest checkpoint
//                                      (signing a new one first when the entry is newer than it)
//   GET /audit/verification            the whole log checked as `carebridge audit verify` does;
//                                      the result is kept for AuditVerifier's max_age
//
// Who reads what: auditors and admins read every entry; a partner reads
// only the entries its own organisation acted in or received (actor or
// recipient is its ODS code), and another's entry is answered 404 as if it
// did not exist; anyone else gets 403. Entries are metadata: the log never
// holds a payload, so none can be shown.
//
// Every read of the log is itself recorded: an audit entry with action
// `read`, the caller as actor, what was asked in its detail and the NHS
// number (when the read was about one person) in its patient field, never in
// the detail. It is committed before the reply; when that commit fails the
// answer is 503 and nothing is disclosed.
//
// Every hashed field of an entry is given exactly as stored (the detail too,
// as the JSON text it was hashed as), so anyone can recompute the hashes
// from the JSON or CSV (audit/entry_bytes.hpp says how).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/checkpoint.hpp"
#include "api/audit_verifier.hpp"
#include "api/endpoint_table.hpp"
#include "config/config.hpp"
#include "http/auth.hpp"
#include "http/exchange.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::api {

// What the handlers need beyond the request.
struct AuditApi {
    store::Store& store;
    std::shared_ptr<const config::Config> config;  // organisations' ODS codes and names
    std::shared_ptr<AuditVerifier> verifier;        // null: /audit/verification answers 503
};

// Called exactly once, on the caller's thread or after the store's commit
// on the store's writer thread.
using AuditReply = std::function<void(http::Response)>;

// The audit endpoints, for the gateway's endpoint table; `api` is asked at
// each call, so a reloaded config reaches the handlers.
std::vector<Endpoint> audit_endpoints(std::function<AuditApi()> api);

// {"entries":[{seq, time, action, actor_organisation, actor_client, actor_role,
// patient, message_id, referral_id, recipient, purpose, lawful_basis,
// consent_reference, outcome, detail, previous_hash, hash}], "next": cursor|null,
// "organisations": {ODS: name}}. 400 for a malformed filter.
void list_audit_events(const http::Request& request, const http::Principal& principal, const AuditApi& api, AuditReply reply);
// The entry as in a page, plus leaf_hash and whether its hash matches its contents.
void get_audit_event(const http::Request& request, const http::Principal& principal, std::uint64_t seq, const AuditApi& api,
                     AuditReply reply);
void audit_report(const http::Request& request, const http::Principal& principal, const AuditApi& api, AuditReply reply);
// {tree_size, root_hash, time, signature, key_id, public_key_pem, signature_valid, signed_bytes};
// when none has been signed yet, one is signed now; 404 only for an empty log.
void latest_audit_checkpoint(const http::Request& request, const http::Principal& principal, const AuditApi& api,
                             AuditReply reply);
// {from: checkpoint, to: checkpoint, path: [hex]}; 404 when either size has no checkpoint.
void audit_consistency_proof(const http::Request& request, const http::Principal& principal, const AuditApi& api,
                             AuditReply reply);
// {seq, leaf_index, leaf_hash, hash, tree_size, root_hash, path: [hex], checkpoint}.
void audit_inclusion_proof(const http::Request& request, const http::Principal& principal, std::uint64_t seq,
                           const AuditApi& api, AuditReply reply);
// {status: intact|tampered|unreadable, line, entries, first_bad, last_checkpoint,
// checked_at, reused, max_age_seconds, method}.
void audit_verification(const http::Request& request, const http::Principal& principal, const AuditApi& api, AuditReply reply);

}  // namespace carebridge::gateway::api
