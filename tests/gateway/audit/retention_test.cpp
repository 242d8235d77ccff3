// Retention: payloads past the period are emptied, the purge is an audit
// entry committed with it, the rest of each message and the whole log stay,
// and the log still verifies.

#include <gtest/gtest.h>

#include <cstdlib>
#include "audit_fixture.hpp"

namespace {

using namespace carebridge::gateway;
using namespace carebridge::testing;

store::StoredMessage received(std::string id, std::string received_at) {
    store::StoredMessage m;
    m.id = std::move(id);
    m.sender = "trust";
    m.client = "trust-epr";
    m.received_at = std::move(received_at);
    m.source_format = "referral";
    m.content_type = "application/json";
    m.payload = R"({"person":{"nhsNumber":"9990000085"}})";
    m.canonical = "{}";
    m.outcome = "{}";
    m.nhs_number = "9990000085";
    return m;
}

TEST(Retention, PayloadsPastThePeriodAreEmptiedAndThePurgeIsAudited) {
    AuditTempDir dir;
    auto opened = open_audit_store(dir);
    ASSERT_TRUE(opened);
    auto& store = *opened;
    store::WriteSet writes;
    writes.messages = {received("old-1", "2025-01-10T09:00:00.000Z"), received("old-2", "2025-06-01T09:00:00.000Z"),
                       received("new-1", "2026-11-20T09:00:00.000Z")};
    ASSERT_FALSE(commit_and_wait(store, std::move(writes)).error);

    store::WriteSet purge;
    purge.purge_payloads_before = "2026-01-01T00:00:00.000Z";
    const auto result = commit_and_wait(store, std::move(purge));
    ASSERT_FALSE(result.error) << result.error_message;
    EXPECT_EQ(result.purged_messages, 2u);

    std::error_code ec;
    for (const char* id : {"old-1", "old-2"}) {
        auto m = store.find_message(id, ec);
        ASSERT_TRUE(m) << id;
        EXPECT_TRUE(m->payload.empty()) << id;
        EXPECT_TRUE(m->canonical.empty()) << id;
        EXPECT_EQ(m->nhs_number, "9990000085") << "the row and its metadata stay";
    }
    auto kept = store.find_message("new-1", ec);
    ASSERT_TRUE(kept);
    EXPECT_FALSE(kept->payload.empty());

    audit::AuditQuery query;
    query.actions = {audit::AuditAction::purged};
    auto entries = store.find_audit_entries(query, ec);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_NE(entries[0].event.detail.find("\"messages\":2"), std::string::npos) << entries[0].event.detail;
    EXPECT_NE(entries[0].event.detail.find("2026-01-01T00:00:00.000Z"), std::string::npos);

    // Nothing more to purge: nothing more is recorded.
    store::WriteSet again;
    again.purge_payloads_before = "2026-01-01T00:00:00.000Z";
    EXPECT_EQ(commit_and_wait(store, std::move(again)).purged_messages, 0u);
    EXPECT_EQ(store.find_audit_entries(query, ec).size(), 1u);
    store.close();

    // The log with its purge entry still verifies end to end.
    const std::string command = std::string(CAREBRIDGE_BINARY) + " audit verify --config " + CAREBRIDGE_SOURCE_DIR +
                                "/config/demo.json --data " + dir.data().string() + " > /dev/null 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0);
}

}  // namespace
