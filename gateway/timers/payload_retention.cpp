#include "timers/payload_retention.hpp"

#include <string>

#include "audit/audit_event.hpp"

namespace carebridge::gateway::timers {

void purge_expired_payloads(store::Store& store, unsigned retention_days, std::chrono::system_clock::time_point now,
                            const OperatorLog& log) {
    if (retention_days == 0) return;
    store::WriteSet purge;
    purge.purge_payloads_before = audit::format_instant(now - std::chrono::hours(24) * retention_days);
    store.commit(std::move(purge), [log](store::CommitResult result) {
        if (!log) return;
        if (result.error)
            log("payload purge failed: " + result.error_message);
        else if (result.purged_messages + result.purged_outbox_items > 0)
            log("purged the payloads of " + std::to_string(result.purged_messages) + " messages and " +
                std::to_string(result.purged_outbox_items) + " delivered copies past the retention period");
    });
}

}  // namespace carebridge::gateway::timers
