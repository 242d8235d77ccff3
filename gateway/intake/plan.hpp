#pragma once
// Plan, the second intake stage: from one decoded record to everything its
// acceptance commits. It routes each referral (policy::route_referral), checks
// agreement and consent per recipient, minimises and encodes each recipient's
// copy (disclosures.hpp), and drafts the message, the audit entries (received,
// translated, each policy decision, each disclosure), the outbox rows and a
// red referral's escalation timer as one write set. Nothing is stored here:
// Commit (commit.hpp) does that, so every format is planned the same way.

#include <chrono>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "http/auth.hpp"
#include "intake/disclosures.hpp"
#include "issues/issue.hpp"
#include "model/record.hpp"
#include "policy/directory.hpp"
#include "store/store.hpp"
#include "translation/format.hpp"

namespace carebridge::gateway::intake {

// Where a record came from and under which name a resend is recognised.
struct Arrival {
    http::Principal principal;
    translation::Format format = translation::Format::fhir;
    std::string content_type;     // as received
    std::string idempotency_key;  // empty: a resend is not recognised
};

// The partnership a record is planned against, fixed for the whole plan (a
// SIGHUP mid-export does not change the rules half-way through it).
struct Partnership {
    std::shared_ptr<const config::Config> config;
    std::shared_ptr<const policy::Directory> directory;  // null: an intake-only gateway, nothing is disclosed
};

enum class PlanStatus {
    // `writes` holds the message (its outcome rendered), received, translated,
    // the decisions and disclosures, one outbox row per recipient and a red
    // referral's timer. Commit it; `message_id` is the new message's id.
    accepted,
    // The directory lets a referral go nowhere (closed or unknown service, no
    // route, no consent or agreement for anyone, a sender it does not know).
    // `refusal` says why and what to answer (422, 403 for the unknown sender);
    // `writes` holds only the policy decisions and the rejection, naming no
    // message: commit it so the refusal is on the record, and store nothing else.
    refused,
    // Refused as above for a reason an admin can mend (Refusal::triageable),
    // from a submitter that triages (http::Principal::on_unroutable):
    // `writes` holds the message (its outcome saying it is held for
    // triage), received, translated, the decisions, a status_changed
    // "triage" entry, its triage item, a "triage" step in its history and,
    // with config triage_escalate_after, its escalation timer. Commit it
    // and answer 202; `message_id` and `refusal` are set.
    triaged,
    // No random id could be drawn: `writes` is empty and nothing may be stored
    // under a predictable id; the sender should send again.
    no_id,
};

struct IntakePlan {
    PlanStatus status = PlanStatus::no_id;
    store::WriteSet writes;
    std::optional<Refusal> refusal;  // set exactly when refused or triaged
    std::string message_id;          // set exactly when accepted or triaged
};

// Plans `record`, decoded from `payload` with `decode_issues` (the decode's warnings;
// the sender's stored OperationOutcome adds one note per recipient to them).
IntakePlan plan_intake(const model::PersonRecord& record, std::string payload, const issues::IssueSink& decode_issues,
                       const Arrival& arrival, const Partnership& partnership,
                       std::chrono::system_clock::time_point now);

// Where a triaged referral's submitter polls its Task (api/triage_api.hpp).
std::string task_location(std::string_view message_id);

// Adds one plan's writes to a group committed together (an export's clients).
void join(store::WriteSet& group, store::WriteSet&& plan);

}  // namespace carebridge::gateway::intake
