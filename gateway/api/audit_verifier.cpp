#include "api/audit_verifier.hpp"

#include <filesystem>

#include "audit/audit_event.hpp"
#include "store/sqlite_audit.hpp"

namespace carebridge::gateway::api {

std::string audit_database_path(const std::string& store_directory) {
    return (std::filesystem::path(store_directory) / "carebridge.sqlite").string();
}

AuditVerifier::AuditVerifier(std::string database, std::chrono::seconds max_age)
    : database_(std::move(database)), max_age_(max_age) {}

// The key the store signs with now and every earlier one it kept in the
// store directory, so checkpoints signed before a key rotation still check out.
audit::TrustedKeys trusted_keys(const audit::PublicKey& current, const std::filesystem::path& store_directory) {
    audit::TrustedKeys keys(current);
    std::string unreadable;  // a file there that is no key leaves the checkpoints it signed unverified, and said so
    if (!store_directory.empty())
        keys.add_directory((store_directory / audit::public_keys_directory).string(), unreadable);
    return keys;
}

AuditVerifier::Status AuditVerifier::status(const audit::PublicKey& key) {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (last_ && now - last_at_ < max_age_) {
        Status reused = *last_;
        reused.reused = true;
        return reused;
    }
    Status fresh;
    fresh.checked_at = audit::now_instant();
    fresh.result =
        store::verify_audit_file(database_, trusted_keys(key, std::filesystem::path(database_).parent_path()));
    last_ = fresh;
    last_at_ = std::chrono::steady_clock::now();
    return fresh;
}

}  // namespace carebridge::gateway::api
