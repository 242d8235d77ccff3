// The SQLite store's page size: a new store is made with 16 KB pages (a
// referral's row in a few WAL frames), an existing store keeps the pages it
// was made with and still opens, and durability settings are unchanged.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>

#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/sqlite_connection.hpp"
#include "audit/audit_event.hpp"
#include "store/store.hpp"

namespace {

namespace fs = std::filesystem;
using namespace carebridge::gateway::store;

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "carebridge-connection-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) std::abort();
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// One integer from a query on a separate, plain connection to the file.
long long query_int(const fs::path& database, const char* sql) {
    sqlite3* db = nullptr;
    long long value = -1;
    if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK && sqlite3_step(statement) == SQLITE_ROW)
            value = sqlite3_column_int64(statement, 0);
        sqlite3_finalize(statement);
    }
    sqlite3_close(db);
    return value;
}

std::unique_ptr<Store> open_store(const fs::path& directory) {
    SqliteOptions options;
    options.directory = directory.string();
    std::error_code error;
    std::string message;
    auto store = open_sqlite_store(options, error, message);
    EXPECT_TRUE(store) << message;
    return store;
}

TEST(SqliteConnection, ANewDatabaseIsMadeWithSixteenKilobytePages) {
    TempDir dir;
    std::error_code error;
    std::string message;
    const fs::path database = dir.path() / "new.sqlite";
    {
        Connection connection =
            open_connection(database.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, error, message);
        ASSERT_FALSE(error) << message;
        ASSERT_FALSE(execute(connection.get(), "CREATE TABLE t (x)", message)) << message;
    }
    EXPECT_EQ(query_int(database, "PRAGMA page_size"), 16384);
}

TEST(SqliteConnection, AnExistingDatabaseKeepsItsPagesAndItsRows) {
    TempDir dir;
    const fs::path database = dir.path() / "old.sqlite";
    {
        // Made as an earlier version made it: SQLite's default 4 KB pages.
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(database.c_str(), &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db, "PRAGMA page_size=4096; CREATE TABLE t (x); INSERT INTO t VALUES (42)", nullptr,
                               nullptr, nullptr),
                  SQLITE_OK);
        sqlite3_close(db);
    }
    std::error_code error;
    std::string message;
    {
        Connection connection =
            open_connection(database.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, error, message);
        ASSERT_FALSE(error) << message;
        ASSERT_FALSE(execute(connection.get(), "INSERT INTO t VALUES (43)", message)) << message;
    }
    EXPECT_EQ(query_int(database, "PRAGMA page_size"), 4096);
    EXPECT_EQ(query_int(database, "SELECT sum(x) FROM t"), 85);
}

TEST(SqliteConnection, TheStoreIsMadeWithSixteenKilobytePagesInWriteAheadLogging) {
    TempDir dir;
    auto store = open_store(dir.path() / "data");
    ASSERT_TRUE(store);
    WriteSet writes;
    carebridge::gateway::audit::AuditEvent event;
    event.action = carebridge::gateway::audit::AuditAction::received;
    event.actor_organisation = "RZZ";
    event.outcome = "success";
    writes.audit.push_back(event);
    std::promise<CommitResult> done;
    store->commit(std::move(writes), [&](CommitResult r) { done.set_value(std::move(r)); });
    EXPECT_FALSE(done.get_future().get().error);
    store->close();
    const fs::path database = dir.path() / "data" / "carebridge.sqlite";
    EXPECT_EQ(query_int(database, "PRAGMA page_size"), 16384);
    EXPECT_EQ(query_int(database, "SELECT count(*) FROM audit_entries"), 1);
}

}  // namespace
