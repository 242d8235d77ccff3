#pragma once
// What the audit tests share: a store in a temporary directory, events with
// synthetic data, and raw SQLite access to the file for the tampering tests
// (an attacker with the file, not the store's API).

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "audit/audit_event.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace carebridge::testing {

namespace fs = std::filesystem;

class AuditTempDir {
public:
    AuditTempDir() {
        std::string pattern = (fs::temp_directory_path() / "carebridge-audit-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) std::abort();
        path_ = pattern;
    }
    ~AuditTempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    AuditTempDir(const AuditTempDir&) = delete;
    AuditTempDir& operator=(const AuditTempDir&) = delete;
    const fs::path& path() const { return path_; }
    fs::path data() const { return path_ / "data"; }
    fs::path database() const { return data() / "carebridge.sqlite"; }

private:
    fs::path path_;
};

inline std::unique_ptr<gateway::store::Store> open_audit_store(const AuditTempDir& dir) {
    gateway::store::SqliteOptions options;
    options.directory = dir.data().string();
    std::error_code error;
    std::string message;
    auto store = gateway::store::open_sqlite_store(options, error, message);
    EXPECT_TRUE(store) << error.message() << ": " << message;
    return store;
}

inline std::future<gateway::store::CommitResult> commit_async(gateway::store::Store& store,
                                                              gateway::store::WriteSet writes) {
    auto promise = std::make_shared<std::promise<gateway::store::CommitResult>>();
    auto future = promise->get_future();
    store.commit(std::move(writes), [promise](gateway::store::CommitResult r) { promise->set_value(std::move(r)); });
    return future;
}

inline gateway::store::CommitResult commit_and_wait(gateway::store::Store& store, gateway::store::WriteSet writes) {
    return commit_async(store, std::move(writes)).get();
}

// The n-th event of a made-up journey: varied patients (valid 999-range
// NHS numbers), organisations, actions and outcomes, one second apart.
inline gateway::audit::AuditEvent event_number(int n) {
    using gateway::audit::AuditAction;
    static const char* patients[] = {"9990000085", "9990000018", "9990000026"};
    static const AuditAction actions[] = {AuditAction::received, AuditAction::policy_decision, AuditAction::disclosed,
                                          AuditAction::delivered, AuditAction::read};
    gateway::audit::AuditEvent e;
    char time[32];
    std::snprintf(time, sizeof time, "2026-11-23T%02d:%02d:%02d.000Z", 5 + n / 3600, (n / 60) % 60, n % 60);
    e.time = time;
    e.action = actions[n % 5];
    e.actor_organisation = n % 2 ? "DCN01" : "RZZ";
    e.actor_client = n % 2 ? "council-care" : "trust-epr";
    e.actor_role = "submitter";
    e.patient = patients[n % 3];
    e.message_id = "msg-" + std::to_string(n);
    e.referral_id = "REF-" + std::to_string(n / 5);
    e.recipient = n % 4 == 0 ? "DMN01" : "DBF01";
    e.purpose = "direct-care";
    e.lawful_basis = "6(1)(e); 9(2)(h)";
    e.consent_reference = "Consent/c-" + std::to_string(n / 5);
    e.outcome = n % 7 == 3 ? "denied" : "success";
    e.detail = "{\"rule\":\"r" + std::to_string(n % 3) + "\",\"version\":2}";
    return e;
}

inline void execute_sql(const fs::path& database, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "") << "\n"
                                                                                  << sql;
    sqlite3_free(error);
    sqlite3_close(db);
}

// The error SQLite gives for `sql`, empty when it succeeds.
inline std::string sql_error(const fs::path& database, const std::string& sql) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) return "cannot open";
    char* error = nullptr;
    sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    std::string text = error ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    return text;
}

}  // namespace carebridge::testing
