#pragma once
// /audit/verification's check of the whole log, kept for a while: a million
// entries take seconds to check, so a page that asks on every load is
// answered from the last check.

#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "audit/checkpoint.hpp"
#include "audit/log_verifier.hpp"

namespace carebridge::gateway::api {

// The whole log checked as `carebridge audit verify` checks it (store/
// sqlite_audit.hpp's verify_audit_file, read-only, beside the writer), at
// most once per `max_age`: a million entries take seconds, so a page that
// asks on every load is answered from the last check. Callers that arrive
// while a check runs wait for it and share its result. Thread-safe.
class AuditVerifier {
public:
    // `database`: the store's SQLite file (<store dir>/carebridge.sqlite).
    AuditVerifier(std::string database, std::chrono::seconds max_age);

    struct Status {
        audit::LogVerification result;
        std::string checked_at;  // when the check ran (an instant)
        bool reused = false;     // true: an earlier check's result, younger than max_age
    };
    Status status(const audit::PublicKey& key);
    std::chrono::seconds max_age() const { return max_age_; }

private:
    std::string database_;
    std::chrono::seconds max_age_;
    std::mutex mutex_;
    std::optional<Status> last_;
    std::chrono::steady_clock::time_point last_at_{};
};

// The store directory's database file, as the SQLite store names it.
std::string audit_database_path(const std::string& store_directory);

// The key the store signs with now and every earlier one kept in the store
// directory's public-keys folder, so checkpoints signed before a key
// rotation still check out.
audit::TrustedKeys trusted_keys(const audit::PublicKey& current, const std::filesystem::path& store_directory);

}  // namespace carebridge::gateway::api
