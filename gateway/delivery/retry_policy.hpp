#pragma once
// What one push attempt comes to: delivered, tried again later (exponential
// backoff with full jitter) or dead-lettered, and the outbox update and
// audit events that record it. Pure functions of the item, the attempt, the
// time and a jitter value, so the schedule is tested without a clock.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_event.hpp"
#include "delivery/delivery_options.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::delivery {

// The result of one attempt as the push client saw it.
struct AttemptResult {
    unsigned http_status = 0;  // the partner's status; 0: no response came
    // Without a response: the step that failed and why, e.g.
    // "connect: Connection refused" or "read: timed out". Never patient data.
    std::string failure;
    std::optional<std::chrono::seconds> retry_after;  // the partner's Retry-After, in seconds
    bool cancelled = false;  // the worker stopped mid-attempt: nothing is recorded, the item stays pending
};

enum class Verdict {
    delivered,  // 2xx
    retry,      // no response, 408, 429, 5xx (and 1xx/3xx: nothing a retry cannot fix)
    dead,       // a 4xx refusal (when options say so), or the last attempt failed
};

// What the partner's answer alone says, before counting attempts.
Verdict judge(const AttemptResult& result, const DeliveryOptions& options);

// The longest wait after `failed_attempts` failures: base * 2^(n-1), capped.
std::chrono::milliseconds backoff_ceiling(unsigned failed_attempts, const DeliveryOptions& options);
// The wait itself: `jitter` (in [0, 1]) of the ceiling, then raised to the
// partner's Retry-After within the cap.
std::chrono::milliseconds backoff_delay(unsigned failed_attempts, double jitter, const DeliveryOptions& options,
                                        std::optional<std::chrono::seconds> retry_after = std::nullopt);

// The outcome of an attempt on `item` (as read before it, attempts not yet
// counted) at `now`: the verdict after counting attempts, the outbox update
// (only from pending, so a partner's acknowledgement meanwhile stands) and
// the audit events (delivered; or delivery-failed, plus dead-lettered at the end).
struct AttemptRecord {
    Verdict verdict = Verdict::retry;
    store::OutboxUpdate update;
    std::vector<audit::AuditEvent> events;
};
AttemptRecord record_attempt(const store::OutboxItem& item, const AttemptResult& result,
                             std::chrono::system_clock::time_point now, double jitter,
                             const DeliveryOptions& options);

}  // namespace carebridge::gateway::delivery
