#pragma once
// /audit/verification's check of the whole log, kept for a while: a million
// entries take seconds to check, so a page that asks on every load is
// answered from the last check.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "audit/log_verifier.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::api {

// The whole log checked as `carebridge audit verify` checks it
// (Store::verify_audit_log: read-only, beside the writer, with every key the
// store kept), at most once per `max_age`. Callers that arrive while a check
// runs wait for it and share its result. Thread-safe.
class AuditVerifier {
public:
    // `store` must outlive the verifier.
    AuditVerifier(store::Store& store, std::chrono::seconds max_age);

    struct Status {
        audit::LogVerification result;
        std::string checked_at;  // when the check ran (an instant)
        bool reused = false;     // true: an earlier check's result, younger than max_age
    };
    Status status();
    std::chrono::seconds max_age() const { return max_age_; }

private:
    store::Store& store_;
    std::chrono::seconds max_age_;
    std::mutex mutex_;
    std::optional<Status> last_;
    std::chrono::steady_clock::time_point last_at_{};
};

}  // namespace carebridge::gateway::api
