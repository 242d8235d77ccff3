#include "delivery/retry_policy.hpp"

#include <algorithm>
#include <cmath>

#include "audit/detail.hpp"

namespace carebridge::gateway::delivery {
namespace {

using std::chrono::milliseconds;

// The delivery worker acts for the gateway itself, not for an organisation.
constexpr std::string_view gateway_client = "carebridge-delivery";
constexpr std::string_view gateway_role = "gateway";

audit::AuditEvent event_for(const store::OutboxItem& item, audit::AuditAction action, std::string_view outcome) {
    audit::AuditEvent e;
    e.action = action;
    e.actor_client = std::string(gateway_client);
    e.actor_role = std::string(gateway_role);
    e.patient = item.patient;
    e.message_id = item.message_id;
    e.referral_id = item.referral_id;
    e.recipient = item.recipient_ods.empty() ? item.recipient : item.recipient_ods;
    e.outcome = std::string(outcome);
    return e;
}

std::string failure_text(const AttemptResult& result) {
    if (result.http_status != 0) return "HTTP " + std::to_string(result.http_status);
    return result.failure.empty() ? std::string("no response") : result.failure;
}

}  // namespace

Verdict judge(const AttemptResult& result, const DeliveryOptions& options) {
    const unsigned status = result.http_status;
    if (status >= 200 && status < 300) return Verdict::delivered;
    if (status == 408 || status == 429) return Verdict::retry;
    if (status >= 400 && status < 500) return options.dead_letter_client_errors ? Verdict::dead : Verdict::retry;
    return Verdict::retry;
}

milliseconds backoff_ceiling(unsigned failed_attempts, const DeliveryOptions& options) {
    const milliseconds base = std::max(options.backoff_base, milliseconds(1));
    const milliseconds cap = std::max(options.backoff_cap, base);
    if (failed_attempts <= 1) return std::min(base, cap);
    // Doubling stops at the cap, so the shift never overflows.
    milliseconds ceiling = base;
    for (unsigned i = 1; i < failed_attempts && ceiling < cap; ++i) ceiling = std::min(ceiling * 2, cap);
    return ceiling;
}

milliseconds backoff_delay(unsigned failed_attempts, double jitter, const DeliveryOptions& options,
                           std::optional<std::chrono::seconds> retry_after) {
    const milliseconds ceiling = backoff_ceiling(failed_attempts, options);
    if (!(jitter >= 0)) jitter = 0;  // NaN too
    jitter = std::min(jitter, 1.0);
    milliseconds delay(static_cast<milliseconds::rep>(std::floor(static_cast<double>(ceiling.count()) * jitter)));
    if (retry_after && *retry_after > milliseconds(0)) {
        const milliseconds cap = std::max(options.backoff_cap, options.backoff_base);
        delay = std::max(delay, std::min<milliseconds>(*retry_after, cap));
    }
    return delay;
}

AttemptRecord record_attempt(const store::OutboxItem& item, const AttemptResult& result,
                             std::chrono::system_clock::time_point now, double jitter,
                             const DeliveryOptions& options) {
    AttemptRecord record;
    const unsigned attempts = item.attempts + 1;
    record.verdict = judge(result, options);
    if (record.verdict == Verdict::retry && attempts >= std::max(options.max_attempts, 1u))
        record.verdict = Verdict::dead;

    store::OutboxUpdate& update = record.update;
    update.id = item.id;
    update.only_from = {store::OutboxState::pending};
    update.attempts = attempts;

    if (record.verdict == Verdict::delivered) {
        update.state = store::OutboxState::delivered;
        update.last_error = std::string();
        audit::AuditEvent e = event_for(item, audit::AuditAction::delivered, audit::outcome::success);
        e.detail = audit::Detail()
                       .add("outbox_id", item.id)
                       .add("attempt", attempts)
                       .add("status", result.http_status)
                       .text();
        record.events.push_back(std::move(e));
        return record;
    }

    const std::string reason = failure_text(result);
    update.last_error = reason;
    audit::AuditEvent failed = event_for(item, audit::AuditAction::delivery_failed, audit::outcome::failed);
    failed.detail = audit::Detail().add("outbox_id", item.id).add("attempt", attempts).add("reason", reason).text();
    record.events.push_back(std::move(failed));

    if (record.verdict == Verdict::dead) {
        update.state = store::OutboxState::dead;
        audit::AuditEvent dead = event_for(item, audit::AuditAction::dead_lettered, audit::outcome::failed);
        dead.detail =
            audit::Detail().add("outbox_id", item.id).add("attempts", attempts).add("reason", reason).text();
        record.events.push_back(std::move(dead));
        return record;
    }
    update.state = store::OutboxState::pending;
    update.next_attempt_at = now + backoff_delay(attempts, jitter, options, result.retry_after);
    return record;
}

}  // namespace carebridge::gateway::delivery
