#include "intake/plan.hpp"

#include <algorithm>

#include "audit/detail.hpp"
#include "ids/uuid.hpp"
#include "issues/operation_outcome.hpp"
#include "translation/translator.hpp"

namespace carebridge::gateway::intake {

namespace {

// The message as stored: the original bytes and the canonical record beside them.
store::StoredMessage message_from(std::string id, const model::PersonRecord& record, const Arrival& arrival,
                                  std::string payload) {
    store::StoredMessage m;
    m.id = std::move(id);
    m.sender = arrival.principal.organisation;
    m.client = arrival.principal.client;
    m.idempotency_key = arrival.idempotency_key;
    m.received_at = audit::now_instant();
    m.source_format = std::string(translation::to_string(arrival.format));
    m.content_type = arrival.content_type;
    m.payload = std::move(payload);
    m.nhs_number = record.person.nhs_number;
    if (!record.referrals.empty()) {
        m.referral_id = record.referrals.front().id;
        // The partnership format is the gateway's internal model; what it
        // cannot hold stays in the original payload, kept beside it.
        issues::IssueSink internal;
        m.canonical = translation::encode_document(translation::Format::referral, record, false, internal);
    }
    return m;
}

template <typename T>
void move_into(std::vector<T>& to, std::vector<T>& from) {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

// The audit entries every stored message starts with.
void record_arrival(store::WriteSet& writes, const Actor& actor, const store::StoredMessage& message,
                    const issues::IssueSink& decode_issues) {
    writes.audit.push_back(message_event(audit::AuditAction::received, actor, message, audit::outcome::success,
                                         audit::Detail()
                                             .add("format", message.source_format)
                                             .add("bytes", message.payload.size())
                                             .text()));
    writes.audit.push_back(message_event(audit::AuditAction::translated, actor, message, audit::outcome::success,
                                         audit::Detail()
                                             .add("from", message.source_format)
                                             .add("to", "referral")
                                             .add("warnings", decode_issues.count(issues::Severity::warning))
                                             .text()));
}

// A referral the directory could not route, held for an admin instead of
// bounced: stored as any message, with its item in the queue, a step in its
// history and, when configured, a timer that escalates it if it waits too long.
void plan_triage(IntakePlan& out, store::StoredMessage message, DisclosurePlan plan, const Actor& actor,
                 const issues::IssueSink& decode_issues, const config::Config& config,
                 std::chrono::system_clock::time_point now) {
    const Refusal& refusal = *plan.refusal;
    issues::IssueSink told = decode_issues;
    told.add(issues::Severity::warning, issues::IssueType::not_found, "",
             "held for triage: " + refusal.message +
                 " An administrator of the partnership will re-route it to a service or return it to you with a reason.");
    told.add(issues::Severity::information, issues::IssueType::informational, "",
             "triage: poll " + task_location(message.id) + " for its status (received, triage)");
    message.outcome = issues::to_operation_outcome_json(told);

    store::WriteSet& writes = out.writes;
    record_arrival(writes, actor, message, decode_issues);
    // The decisions stand; a disclosure planned for an earlier referral of
    // the same record does not, since nothing of the record goes anywhere yet.
    for (audit::AuditEvent& e : plan.audit)
        if (e.action != audit::AuditAction::disclosed) writes.audit.push_back(std::move(e));
    writes.audit.push_back(message_event(audit::AuditAction::status_changed, actor, message, audit::outcome::success,
                                         audit::Detail()
                                             .add("status", "triage")
                                             .add("kind", refusal.kind)
                                             .add("reason", refusal.message)
                                             .text()));
    store::TriageItem item;
    item.message_id = message.id;
    item.kind = refusal.kind;
    item.reason = refusal.message;
    writes.triage.push_back(std::move(item));
    store::HistoryEntry step;
    step.message_id = message.id;
    step.organisation = "gateway";
    step.status = "triage";
    step.reason = refusal.message;
    step.time = audit::format_instant(now);
    writes.history.push_back(std::move(step));
    if (config.triage_escalate_after.count() > 0)
        writes.escalation_timers.push_back(
            store::EscalationTimer{message.id, audit::format_instant(now + config.triage_escalate_after)});
    out.status = PlanStatus::triaged;
    out.refusal = std::move(plan.refusal);
    out.message_id = message.id;
    writes.messages.push_back(std::move(message));
}

}  // namespace

IntakePlan plan_intake(const model::PersonRecord& record, std::string payload, const issues::IssueSink& decode_issues,
                       const Arrival& arrival, const Partnership& partnership,
                       std::chrono::system_clock::time_point now) {
    IntakePlan out;
    const config::Config& config = *partnership.config;
    const Actor actor = actor_of(arrival.principal, config, "submitter");

    // No id, no message: a referral is never stored under an id that is not random.
    auto id = ids::random_uuid();
    if (!id) return out;
    store::StoredMessage message = message_from(std::move(*id), record, arrival, std::move(payload));

    // Who may receive it, and what each may see. A referral that cannot go
    // anywhere it asked is refused, and only the refusal is recorded.
    DisclosurePlan plan;
    if (partnership.directory && !record.referrals.empty())
        plan = plan_disclosures(record, message, actor, arrival.principal.organisation, *partnership.directory, now);
    if (plan.refusal && plan.refusal->triageable && arrival.principal.on_unroutable == config::OnUnroutable::triage) {
        plan_triage(out, std::move(message), std::move(plan), actor, decode_issues, config, now);
        return out;
    }
    if (plan.refusal) {
        out.status = PlanStatus::refused;
        out.refusal = std::move(plan.refusal);
        out.writes.audit = std::move(plan.audit);
        out.writes.audit.push_back(message_event(audit::AuditAction::rejected, actor, message, audit::outcome::denied,
                                                 audit::Detail()
                                                     .add("reason", "policy")
                                                     .add("status", out.refusal->status)
                                                     .text()));
        for (auto& e : out.writes.audit) e.message_id.clear();  // nothing was stored under it
        return out;
    }

    // What the sender is told, kept with the message for an idempotent repeat:
    // what was not carried, where each copy went, and where the message is.
    issues::IssueSink told = decode_issues;
    for (const auto& note : plan.notes)
        told.add(issues::Severity::information, issues::IssueType::informational, "", note);
    told.add(issues::Severity::information, issues::IssueType::informational, "", "accepted as /referrals/" + message.id);
    message.outcome = issues::to_operation_outcome_json(told);

    store::WriteSet& writes = out.writes;
    record_arrival(writes, actor, message, decode_issues);
    move_into(writes.audit, plan.audit);
    writes.outbox = std::move(plan.outbox);
    // A red referral that went somewhere is timed: if nobody accepts it in
    // time its originator is told (the server's escalation timer).
    if (!writes.outbox.empty() && config.red_escalation_after.count() > 0 &&
        std::any_of(record.referrals.begin(), record.referrals.end(),
                    [](const model::Referral& r) { return r.priority == model::Priority::red; }))
        writes.escalation_timers.push_back(
            store::EscalationTimer{message.id, audit::format_instant(now + config.red_escalation_after)});
    out.message_id = message.id;
    writes.messages.push_back(std::move(message));
    out.status = PlanStatus::accepted;
    return out;
}

std::string task_location(std::string_view message_id) { return "/fhir/Task/" + std::string(message_id); }

void join(store::WriteSet& group, store::WriteSet&& plan) {
    move_into(group.messages, plan.messages);
    move_into(group.triage, plan.triage);
    move_into(group.history, plan.history);
    move_into(group.outbox, plan.outbox);
    move_into(group.audit, plan.audit);
    move_into(group.escalation_timers, plan.escalation_timers);
}

}  // namespace carebridge::gateway::intake
