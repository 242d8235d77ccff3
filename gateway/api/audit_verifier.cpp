#include "api/audit_verifier.hpp"

#include "audit/audit_event.hpp"

namespace carebridge::gateway::api {

AuditVerifier::AuditVerifier(store::Store& store, std::chrono::seconds max_age) : store_(store), max_age_(max_age) {}

AuditVerifier::Status AuditVerifier::status() {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (last_ && now - last_at_ < max_age_) {
        Status reused = *last_;
        reused.reused = true;
        return reused;
    }
    Status fresh;
    fresh.checked_at = audit::now_instant();
    fresh.result = store_.verify_audit_log();
    last_ = fresh;
    last_at_ = std::chrono::steady_clock::now();
    return fresh;
}

}  // namespace carebridge::gateway::api
