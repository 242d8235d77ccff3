// The SQLite store fails closed at open: a data directory it cannot create
// or use stops the gateway with a clear error, never a store somewhere else
// or one whose files have the wrong permissions. And the audit log checks out
// through the Store interface alone (what /audit/verification uses).

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <string>

#include "audit/audit_event.hpp"
#include "audit/checkpoint.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "store/store_error.hpp"

namespace {

namespace fs = std::filesystem;
using namespace carebridge::gateway;

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "carebridge-open-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

std::unique_ptr<store::Store> open_at(const fs::path& directory, std::error_code& error, std::string& message) {
    store::SqliteOptions options;
    options.directory = directory.string();
    return store::open_sqlite_store(options, error, message);
}

TEST(SqliteStoreOpen, AFileWhereTheDirectoryShouldBeIsRefused) {
    TempDir temp;
    const fs::path file = temp.path() / "data";
    std::ofstream(file) << "not a directory\n";
    std::error_code error;
    std::string message;
    EXPECT_FALSE(open_at(file, error, message));
    EXPECT_EQ(error, store::StoreErrc::bad_directory);
    EXPECT_NE(message.find("is not a directory"), std::string::npos) << message;
}

TEST(SqliteStoreOpen, ADirectoryThatCannotBeCreatedIsRefusedWithTheFilesystemsReason) {
    TempDir temp;
    std::ofstream(temp.path() / "file") << "x";
    std::error_code error;
    std::string message;
    // A parent that is a file: create_directories fails whoever runs the test (root too).
    EXPECT_FALSE(open_at(temp.path() / "file" / "data", error, message));
    EXPECT_TRUE(error);
    EXPECT_NE(message.find("cannot"), std::string::npos) << message;
    EXPECT_FALSE(fs::exists(temp.path() / "file" / "data"));
}

TEST(SqliteStoreOpen, ASigningKeyPathThatCannotBeWrittenFailsTheOpen) {
    TempDir temp;
    std::ofstream(temp.path() / "keys") << "x";
    store::SqliteOptions options;
    options.directory = (temp.path() / "data").string();
    options.audit_signing_key = (temp.path() / "keys" / "audit-signing-key.pem").string();
    std::error_code error;
    std::string message;
    EXPECT_FALSE(store::open_sqlite_store(options, error, message));
    EXPECT_TRUE(error);
    EXPECT_FALSE(message.empty());
}

TEST(SqliteStoreOpen, TheLogVerifiesThroughTheStoreInterface) {
    TempDir temp;
    std::error_code error;
    std::string message;
    auto store = open_at(temp.path() / "data", error, message);
    ASSERT_TRUE(store) << message;
    store::WriteSet writes;
    for (int i = 0; i < 3; ++i) {
        audit::AuditEvent event;
        event.action = audit::AuditAction::received;
        event.actor_organisation = "trust";
        event.patient = "9990000018";  // synthetic: 999 range, valid mod-11
        event.outcome = std::string(audit::outcome::success);
        writes.audit.push_back(event);
    }
    writes.sign_audit_checkpoint = true;
    std::promise<store::CommitResult> done;
    store->commit(std::move(writes), [&done](store::CommitResult result) { done.set_value(std::move(result)); });
    const store::CommitResult result = done.get_future().get();
    ASSERT_FALSE(result.error) << result.error_message;

    const audit::LogVerification verification = store->verify_audit_log();
    EXPECT_EQ(verification.status, audit::LogStatus::intact) << verification.line;
    EXPECT_EQ(verification.entries, 3u);
    EXPECT_TRUE(store->audit_trusted_keys().find(store->audit_public_key().id()));
}

}  // namespace
