// One referral's whole journey through the demo partnership, as the audit log
// tells it: the gateway's config loaded, the Trust's referral received,
// translated, decided and disclosed to the befriending charity, collected from
// its inbox (read), acknowledged (delivered), and its status sent back — all
// there, in order, and the log verifies.

#include <gtest/gtest.h>

#include <cstdlib>

#include "audit/audit_query.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "support/demo_gateway.hpp"
#include "support/gateway_fixture.hpp"

namespace carebridge::testing {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

std::string between(const std::string& text, const std::string& key) {
    const auto at = text.find("\"" + key + "\":\"");
    if (at == std::string::npos) return {};
    const auto start = at + key.size() + 4;
    return text.substr(start, text.find('"', start) - start);
}

TEST(AuditJourney, AReferralsWholeJourneyIsInTheLogInOrder) {
    TempDir temp;
    {
        DemoGateway gw(temp.path());
        ASSERT_TRUE(gw.ok());
        auto c = gw.client();
        auto posted = c.post("/fhir", "application/fhir+json",
                             read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "config/demo-referral.json"),
                             {{"Authorization", bearer("demo-trust")}});
        ASSERT_EQ(posted.status, 201u) << posted.body;
        const std::string location = posted.header("Location");

        auto inbox = c.get("/partners/befriend/inbox", {{"Authorization", bearer("demo-befriend")}});
        ASSERT_EQ(inbox.status, 200u) << inbox.body;
        const std::string item = between(inbox.body, "id");
        ASSERT_FALSE(item.empty()) << inbox.body;
        auto ack = c.post("/partners/befriend/inbox/" + item + "/ack", "application/json", "",
                          {{"Authorization", bearer("demo-befriend")}});
        ASSERT_EQ(ack.status, 200u) << ack.body;
        auto status = c.post(location + "/status", "application/json",
                             R"({"status": "accepted", "service": "befriending", "reason": "first visit booked"})",
                             {{"Authorization", bearer("demo-befriend")}});
        ASSERT_TRUE(status.status == 200u || status.status == 201u) << status.status << " " << status.body;
    }

    gateway::store::SqliteOptions options;
    options.directory = temp.path().string();
    std::error_code ec;
    std::string message;
    auto store = gateway::store::open_sqlite_store(options, ec, message);
    ASSERT_TRUE(store) << message;
    gateway::audit::AuditQuery all;
    auto entries = store->find_audit_entries(all, ec);
    ASSERT_FALSE(ec);
    std::vector<std::string> journey;
    for (const auto& e : entries) journey.emplace_back(gateway::audit::to_string(e.event.action));
    EXPECT_EQ(journey, (std::vector<std::string>{"config-changed", "received", "translated", "policy-decision",
                                                 "disclosed", "read", "delivered", "status-changed"}));
    for (std::size_t i = 1; i < entries.size(); ++i) {
        EXPECT_EQ(entries[i].seq, entries[i - 1].seq + 1);
        EXPECT_EQ(entries[i].previous_hash, entries[i - 1].hash) << "entry " << entries[i].seq;
        EXPECT_GE(entries[i].event.time, entries[i - 1].event.time);
    }
    store->close();
    const std::string command = std::string(CAREBRIDGE_BINARY) + " audit verify --config " + CAREBRIDGE_SOURCE_DIR +
                                "/config/demo.json --data " + temp.path().string() + " > /dev/null 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0);
}

}  // namespace
}  // namespace carebridge::testing
