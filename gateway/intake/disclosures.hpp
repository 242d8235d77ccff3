#pragma once
// What accepting a message commits besides the message itself: the audit
// events that record it (received, translated, each policy decision, each
// disclosure) and one outbox row per recipient holding that recipient's
// minimised copy in its format. All of it joins the message's write set, so
// a disclosure and its record are one durable commit (DESIGN.md).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_event.hpp"
#include "http/auth.hpp"
#include "model/record.hpp"
#include "policy/directory.hpp"
#include "policy/routing.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::intake {

// Who acted, as the audit log names them.
struct Actor {
    std::string ods;     // the organisation's ODS code
    std::string client;  // API client or certificate
    std::string role;    // the role it acted in
};
Actor actor_of(const http::Principal& principal, const config::Config& config, std::string_view role);

// A referral the directory will not let go anywhere: the submitter's answer.
struct Refusal {
    unsigned status = 422;  // 403 for a sender the directory does not know
    std::string message;
    // The routing refusal's kind (policy::to_string(RefusalKind)); empty when
    // routing found recipients but every one was denied (consent, agreement).
    std::string kind;
    // True when an admin could send it somewhere: the directory did not know
    // where it should go (an unknown or closed organisation or service, no
    // route, criteria). Not for a document without one referral, an unknown
    // sender, or a referral every candidate was denied (consent refused, no
    // agreement: re-routing cannot mend that, and holding it would keep what
    // may not be shared).
    bool triageable = false;
};

struct DisclosurePlan {
    std::optional<Refusal> refusal;  // set: store nothing but `audit` (the decisions and the rejection)
    std::vector<store::OutboxItem> outbox;
    std::vector<audit::AuditEvent> audit;  // policy decisions, then disclosures
    std::vector<std::string> notes;        // one line per recipient, for the sender's OperationOutcome
};

// Routes each referral of `record` (policy::route_referral) and plans the
// disclosures. `message` must already carry its id, NHS number and referral id.
DisclosurePlan plan_disclosures(const model::PersonRecord& record, const store::StoredMessage& message,
                                const Actor& actor, std::string_view sender, const policy::Directory& directory,
                                std::chrono::system_clock::time_point now);

// An event about one stored message (received, translated, read).
audit::AuditEvent message_event(audit::AuditAction action, const Actor& actor, const store::StoredMessage& message,
                                std::string_view outcome, std::string detail = {});

}  // namespace carebridge::gateway::intake
