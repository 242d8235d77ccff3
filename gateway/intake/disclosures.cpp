#include "intake/disclosures.hpp"

#include "audit/detail.hpp"
#include "delivery/outbox_entry.hpp"
#include "http/negotiation.hpp"
#include "issues/issue.hpp"
#include "translation/translator.hpp"

namespace carebridge::gateway::intake {

namespace {

std::string lawful_basis_text(const model::LawfulBasis& basis) {
    std::string text;
    if (!basis.article6.empty()) text = "UK GDPR " + basis.article6;
    if (!basis.article9.empty()) text += (text.empty() ? "UK GDPR " : "; ") + basis.article9;
    return text;
}

}  // namespace

Actor actor_of(const http::Principal& principal, const config::Config& config, std::string_view role) {
    Actor actor;
    const auto* organisation = config.organisation(principal.organisation);
    actor.ods = organisation ? organisation->ods_code : principal.organisation;
    actor.client = principal.client;
    actor.role = std::string(role);
    return actor;
}

audit::AuditEvent message_event(audit::AuditAction action, const Actor& actor, const store::StoredMessage& message,
                                std::string_view outcome, std::string detail) {
    audit::AuditEvent e;
    e.action = action;
    e.actor_organisation = actor.ods;
    e.actor_client = actor.client;
    e.actor_role = actor.role;
    e.patient = message.nhs_number;
    e.message_id = message.id;
    e.referral_id = message.referral_id;
    e.outcome = std::string(outcome);
    e.detail = std::move(detail);
    return e;
}

DisclosurePlan plan_disclosures(const model::PersonRecord& record, const store::StoredMessage& message,
                                const Actor& actor, std::string_view sender, const policy::Directory& directory,
                                std::chrono::system_clock::time_point now) {
    DisclosurePlan plan;
    for (std::size_t i = 0; i < record.referrals.size(); ++i) {
        const auto routing = policy::route_referral(record, i, sender, directory, now);
        // Every candidate's decision is recorded, allowed or not, refused referral or not.
        for (const auto& d : routing.decisions) {
            audit::Detail detail;
            detail.add("decision", policy::to_string(d.status))
                .add("rule", d.rule)
                .add("policy_version", d.policy_version)
                .add("agreement", d.agreement)
                .add("service", d.service)
                .add("reason", d.reason);
            // How the terminology table read a SNOMED CT or text-only need; absent when there was none.
            if (!d.need_match.empty()) detail.add("need_match", d.need_match);
            audit::AuditEvent e = message_event(audit::AuditAction::policy_decision, actor, message,
                                                d.allowed() ? "allow" : "deny", detail.text());
            e.referral_id = record.referrals[i].id;
            e.recipient = d.organisation_ods;
            e.purpose = d.purpose;
            e.lawful_basis = lawful_basis_text(d.lawful_basis);
            e.consent_reference = d.consent;
            plan.audit.push_back(std::move(e));
        }
        if (routing.refusal) {
            const policy::RefusalKind kind = routing.refusal->kind;
            plan.refusal = Refusal{kind == policy::RefusalKind::unknown_sender ? 403u : 422u, routing.refusal->message,
                                   std::string(policy::to_string(kind)),
                                   kind != policy::RefusalKind::no_referral &&
                                       kind != policy::RefusalKind::several_referrals &&
                                       kind != policy::RefusalKind::unknown_sender};
            return plan;
        }
        if (routing.recipients.empty()) {
            std::string reasons;
            for (const auto& d : routing.decisions) {
                if (!reasons.empty()) reasons += "; ";
                reasons += (d.organisation.empty() ? d.organisation_ods : d.organisation) + ": " + d.reason;
            }
            plan.refusal = Refusal{422, "no recipient may receive this referral: " + reasons};
            return plan;
        }
        for (const auto& r : routing.recipients) {
            issues::IssueSink encode_sink;
            store::OutboxItem item =
                delivery::outbox_item_for(message, r, translation::encode_document(r.format, r.record, false, encode_sink));
            if (item.payload.empty()) {
                // The recipient's format cannot hold what it may see: nothing goes, and the log says so.
                audit::AuditEvent e = message_event(audit::AuditAction::disclosed, actor, message, audit::outcome::failed,
                                                    audit::Detail()
                                                        .add("service", r.service)
                                                        .add("format", item.format)
                                                        .add("reason", "the recipient's format cannot hold this record")
                                                        .text());
                e.recipient = r.organisation_ods;
                plan.audit.push_back(std::move(e));
                continue;
            }
            audit::AuditEvent e = message_event(audit::AuditAction::disclosed, actor, message, audit::outcome::success,
                                                audit::Detail()
                                                    .add("service", r.service)
                                                    .add("agreement", r.agreement)
                                                    .add("profile", r.profile)
                                                    .add("rule", r.rule)
                                                    .add("policy_version", routing.policy_version)
                                                    .add("format", item.format)
                                                    .add("delivery", item.endpoint_url.empty() ? "inbox" : "push")
                                                    .add("fields_sent", r.fields_sent)
                                                    .add("fields_withheld", r.fields_withheld)
                                                    .add("glossary_terms", r.glossary_terms)
                                                    .text());
            e.referral_id = record.referrals[i].id;
            e.recipient = r.organisation_ods;
            e.purpose = r.purpose;
            e.lawful_basis = lawful_basis_text(r.lawful_basis);
            e.consent_reference = r.consent;
            plan.audit.push_back(std::move(e));
            plan.notes.push_back("for " + r.organisation_name + " (" + r.service_name + ") under agreement " +
                                 r.agreement + ", policy " + routing.policy_version +
                                 (item.endpoint_url.empty() ? ", in its inbox" : ", pushed to its endpoint"));
            plan.outbox.push_back(std::move(item));
        }
    }
    return plan;
}

}  // namespace carebridge::gateway::intake
