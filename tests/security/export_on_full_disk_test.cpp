// A care-notes export posted to a gateway whose disk is full: the real
// gateway over TLS, its data directory (store and incoming exports) on a
// 1 MiB tmpfs, and an export larger than the room left. It answers 503 with
// Retry-After, stores nothing and leaves no partial file; once the room is
// there again an export is taken in. Needs root to mount, as CI runs: a
// mount that fails fails the test.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "intake/intake_fixture.hpp"
#include "support/gateway_fixture.hpp"

namespace carebridge::testing {
namespace {

// A size-limited tmpfs on `dir`, unmounted when the test ends however it ends.
class SmallDisk {
public:
    SmallDisk(std::filesystem::path dir, const char* size) : dir_(std::move(dir)) {
        std::filesystem::create_directories(dir_);
        const std::string options = std::string("size=") + size + ",mode=0700";
        if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0)
            mounted_ = true;
        else
            error_ = std::strerror(errno);
    }
    ~SmallDisk() {
        if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;

    bool mounted() const { return mounted_; }
    const std::string& error() const { return error_; }
    std::uint64_t free_bytes() const {
        struct statvfs s {};
        if (::statvfs(dir_.c_str(), &s) != 0) return 0;
        return static_cast<std::uint64_t>(s.f_bavail) * s.f_frsize;
    }

private:
    std::filesystem::path dir_;
    bool mounted_ = false;
    std::string error_;
};

std::string export_of_at_least(std::size_t bytes) {
    std::string xml;
    carenotes::ExportWriter writer([&](std::string_view chunk) { xml += chunk; }, {false, ""});
    for (std::size_t i = 0; xml.size() < bytes && i < 100000; ++i) {
        issues::IssueSink sink;
        writer.write(gateway::intake::fixture::synthetic_person(i), sink);
    }
    writer.finish();
    return xml;
}

std::size_t count_messages(const std::filesystem::path& store_dir) {
    sqlite3* db = nullptr;
    std::size_t n = 0;
    if (sqlite3_open_v2((store_dir / "carebridge.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM messages", -1, &st, nullptr) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = static_cast<std::size_t>(sqlite3_column_int64(st, 0));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

std::size_t files_in(const std::filesystem::path& dir) {
    std::size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec))
        ++n;
    return n;
}

TEST(ExportOnFullDisk, AnswersServiceUnavailableAndKeepsNothing) {
    TempDir temp;
    SmallDisk disk(temp.path() / "store", "1m");  // RunningGateway keeps its store and incoming exports here
    ASSERT_TRUE(disk.mounted()) << "cannot mount a tmpfs (this test needs root): " << disk.error();
    RunningGateway gw(temp.path());
    ASSERT_TRUE(gw.server);
    const auto incoming = gw.store_dir / "incoming";
    const std::uint64_t room = disk.free_bytes();
    ASSERT_GT(room, 0u);

    // Larger than the room left, well within the export body limit (4 MiB).
    const std::string xml = export_of_at_least(room + 512 * 1024);
    ASSERT_LT(xml.size(), 4u * 1024 * 1024);
    auto c = gw.client();
    const std::vector<std::pair<std::string, std::string>> headers = {{"Authorization", bearer("demo-trust")},
                                                                      {"Idempotency-Key", "export-full-disk-1"}};
    auto r = c.post("/carenotes/exports", "application/xml", xml, headers);
    EXPECT_EQ(r.status, 503u) << r.body;
    EXPECT_FALSE(r.header("Retry-After").empty()) << "a 503 says when to try again";
    EXPECT_NE(r.body.find("transient"), std::string::npos) << r.body;
    EXPECT_EQ(files_in(incoming), 0u) << "the partial upload is removed";
    EXPECT_NE(gw.client().get("/metrics").body.find("reason=\"upload_io\"} 1"), std::string::npos);

    // The room is back: an export that fits is taken in on a new connection.
    const std::string small = export_of_at_least(1);
    auto after = gw.client().post("/carenotes/exports", "application/xml", small,
                                  {{"Authorization", bearer("demo-trust")}, {"Idempotency-Key", "export-full-disk-2"}});
    EXPECT_EQ(after.status, 201u) << after.body;
    const auto accepted_at = after.body.find("\"accepted\":");
    const std::size_t stored_after =
        accepted_at == std::string::npos ? 0u : std::stoul(after.body.substr(accepted_at + 11));
    EXPECT_GT(stored_after, 0u) << after.body;

    gw.stop();
    EXPECT_EQ(files_in(incoming), 0u);
    EXPECT_EQ(count_messages(gw.store_dir), stored_after) << "nothing of the refused export was stored";
}

}  // namespace
}  // namespace carebridge::testing
