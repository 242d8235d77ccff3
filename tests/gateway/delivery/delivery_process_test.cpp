// Delivery through the real `carebridge serve` binary, to fake partners over
// real TLS: a gateway killed with SIGKILL in the middle of a delivery and
// started again loses nothing and, with the receiver deduplicating on the
// Idempotency-Key, delivers nothing twice, in order; and a config reload that
// changes a route takes effect for new referrals while the deliveries already
// queued under the old config still arrive.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "support/fake_partner.hpp"
#include "support/gateway_fixture.hpp"
#include "support/serve_process.hpp"

namespace carebridge::testing {
namespace {

using namespace std::chrono_literals;

// Failure guards only, never claims about speed.
constexpr auto exit_guard = 30s;
constexpr auto line_guard = 20s;
constexpr auto delivery_guard = 90s;  // covers a few backoff waits (full jitter, 2 s base)

// The Trust sends to a befriending charity and to Mind, both with push
// endpoints at fake partners; RULES routes isolation needs.
std::string partnership_config(const TestPki& pki, const std::filesystem::path& data, const FakePartner& befriend,
                               const FakePartner& mind, const std::string& version, const std::string& rules) {
    std::string text = R"cfg({
  "schema": "carebridge-config/1",
  "listener": {"host": "127.0.0.1", "port": 0, "tls": {"certificate": "SERVER_CERT", "private_key": "SERVER_KEY"}},
  "threads": 2,
  "store": "sqlite:DATA",
  "organisations": {
    "trust": {"ods": "RZZ", "name": "Westshire Mental Health NHS Trust", "type": "trust"},
    "befriend": {"ods": "DBF01", "name": "Northfield Befriending", "type": "vcse",
                 "endpoint": {"url": "BEFRIEND_URL", "format": "referral", "ca": "CA_CERT"},
                 "services": {"befriending": {"name": "Befriending", "status": "open",
                                              "criteria": {"needs": ["isolation"]}}}},
    "mind": {"ods": "DMN01", "name": "Westshire Mind", "type": "vcse", "format": "fhir",
             "endpoint": {"url": "MIND_URL", "format": "fhir", "ca": "CA_CERT"},
             "services": {"peer-support": {"name": "Peer support", "status": "open",
                                           "criteria": {"needs": ["isolation"]}}}}
  },
  "clients": [{"id": "trust-epr", "organisation": "trust", "roles": ["submitter"], "token_sha256": "TRUST_HASH"}],
  "policy_version": "VERSION",
  "routing_rules": [RULES],
  "agreements": {
    "trust-befriend": {"from": "trust", "to": "befriend", "purposes": ["direct-care"],
                       "lawful_basis": {"article6": "6(1)(e)", "article9": "9(2)(h)"}, "profile": "befriending"},
    "trust-mind": {"from": "trust", "to": "mind", "purposes": ["direct-care"],
                   "lawful_basis": {"article6": "6(1)(e)", "article9": "9(2)(h)"}, "profile": "befriending"}
  },
  "minimisation_profiles": {
    "befriending": {"fields": ["person.name", "person.contact_preferences", "referral.needs", "referral.risk.summary"]}
  }
})cfg";
    const auto put = [&](std::string_view key, const std::string& value) {
        for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
            text.replace(at, key.size(), value);
    };
    put("SERVER_CERT", pki.server_cert());
    put("SERVER_KEY", pki.server_key());
    put("CA_CERT", pki.ca_cert());
    put("DATA", data.string());
    put("BEFRIEND_URL", befriend.url());
    put("MIND_URL", mind.url());
    put("TRUST_HASH", gateway::config::sha256_hex("test-trust"));
    put("VERSION", version);
    put("RULES", rules);
    return text;
}

constexpr const char* to_befriending = R"({"id": "isolation-to-befriending", "match": {"needs": ["isolation"]},
     "recipients": [{"organisation": "befriend", "service": "befriending"}]})";
constexpr const char* to_peer_support = R"({"id": "isolation-to-peer-support", "match": {"needs": ["isolation"]},
     "recipients": [{"organisation": "mind", "service": "peer-support"}]})";

struct OutboxRow {
    std::string recipient;
    std::string idempotency_key;
    std::string state;
};

// Every outbox row, oldest first, read from the SQLite file beside the
// running gateway (WAL lets a reader in); empty with `error` when it cannot be read.
std::vector<OutboxRow> outbox_rows(const std::filesystem::path& data, std::string& error) {
    std::vector<OutboxRow> rows;
    sqlite3* db = nullptr;
    const auto file = data / "carebridge.sqlite";
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        error = "cannot open " + file.string() + ": " + sqlite3_errmsg(db);
        sqlite3_close(db);
        return rows;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT recipient, idempotency_key, state FROM outbox ORDER BY seq", -1, &st,
                           nullptr) != SQLITE_OK) {
        error = std::string("cannot read the outbox: ") + sqlite3_errmsg(db);
    } else {
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            rows.push_back({reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                            reinterpret_cast<const char*>(sqlite3_column_text(st, 1)),
                            reinterpret_cast<const char*>(sqlite3_column_text(st, 2))});
        if (rc != SQLITE_DONE) error = std::string("reading the outbox: ") + sqlite3_errmsg(db);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rows;
}

std::vector<std::string> keys_for(const std::vector<OutboxRow>& rows, const std::string& recipient) {
    std::vector<std::string> keys;
    for (const OutboxRow& row : rows)
        if (row.recipient == recipient) keys.push_back(row.idempotency_key);
    return keys;
}

// Waits (bounded) until every outbox row is delivered in the store.
bool all_delivered(const std::filesystem::path& data, std::size_t expected, std::string& error) {
    const auto guard = std::chrono::steady_clock::now() + delivery_guard;
    while (std::chrono::steady_clock::now() < guard) {
        const auto rows = outbox_rows(data, error);
        if (!error.empty()) return false;
        if (rows.size() == expected &&
            std::all_of(rows.begin(), rows.end(), [](const OutboxRow& r) { return r.state == "delivered"; }))
            return true;
        std::this_thread::sleep_for(100ms);
    }
    error = "not every outbox row was delivered in time";
    return false;
}

class DeliveryProcessTest : public ::testing::Test {
protected:
    void SetUp() override {
        pki = std::make_unique<TestPki>(TestPki::create((temp.path() / "pki").string()));
        config_file = temp.path() / "gateway.json";
        data_dir = temp.path() / "data";
    }

    void write_config(const std::string& text) const {
        std::ofstream out(config_file, std::ios::binary | std::ios::trunc);
        out << text;
    }

    ServeProcess gateway() const { return ServeProcess(config_file, data_dir, temp.path() / "logs"); }

    HttpClient client(const ServeProcess& g) const {
        ClientTls tls;
        tls.ca_cert = pki->ca_cert();
        return HttpClient(g.address(), tls);
    }

    // The sample partnership referral (isolation needs, befriending targeted,
    // consent for VCSE partners) under its own key, so each post is a new referral.
    static Response refer(HttpClient& c, const std::string& key) {
        static const std::string body =
            read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "tests/golden/referral.json");
        return c.post("/referrals", "application/json", body,
                      {{"Authorization", bearer("test-trust")}, {"Idempotency-Key", key}});
    }

    static void stop_cleanly(ServeProcess& g) {
        ASSERT_TRUE(g.process.signal(SIGTERM));
        const auto status = g.process.wait_for_exit(exit_guard);
        ASSERT_TRUE(status) << "no exit after SIGTERM; stderr:\n" << g.process.stderr_text();
        EXPECT_TRUE(status->exited_with(0)) << g.process.stderr_text();
    }

    TempDir temp;
    std::unique_ptr<TestPki> pki;
    std::filesystem::path config_file;
    std::filesystem::path data_dir;
};

TEST_F(DeliveryProcessTest, KillNineMidDeliveryThenRestartDeliversEveryReferralOnceInOrder) {
    constexpr std::size_t referrals = 20;
    constexpr std::size_t hung = 8;  // the partner stores this one, then its reply never comes
    FakePartner befriend(*pki);
    FakePartner mind(*pki);
    befriend.set_script([](std::size_t n) {
        return n == hung ? PartnerBehaviour::accept_then_hang : PartnerBehaviour::accept;
    });
    write_config(partnership_config(*pki, data_dir, befriend, mind, "kill-1", to_befriending));

    ServeProcess first = gateway();
    std::string error;
    ASSERT_TRUE(first.start(error, "before-kill")) << error;
    {
        HttpClient c = client(first);
        for (std::size_t i = 1; i <= referrals; ++i) {
            const auto r = refer(c, "kill-" + std::to_string(i));
            ASSERT_EQ(r.status, 201u) << r.body;
        }
    }
    // The gateway now waits on the partner's reply to the eighth push, which
    // the partner has stored: the kill lands mid-delivery.
    ASSERT_TRUE(befriend.wait_for_requests(hung, delivery_guard)) << first.process.stderr_text();
    ASSERT_TRUE(first.process.signal(SIGKILL));
    const auto status = first.process.wait_for_exit(exit_guard);
    ASSERT_TRUE(status);
    EXPECT_EQ(status->signal, SIGKILL);
    EXPECT_EQ(befriend.deliveries().size(), hung) << "one recipient's items go one at a time, in order";

    ServeProcess second = gateway();
    ASSERT_TRUE(second.start(error, "after-kill")) << error;
    ASSERT_TRUE(befriend.wait_for_deliveries(referrals, delivery_guard)) << second.process.stderr_text();
    ASSERT_TRUE(all_delivered(data_dir, referrals, error)) << error << "\n" << second.process.stderr_text();
    stop_cleanly(second);

    const auto rows = outbox_rows(data_dir, error);
    ASSERT_TRUE(error.empty()) << error;
    const std::vector<std::string> expected = keys_for(rows, "befriend");
    ASSERT_EQ(expected.size(), referrals);
    // Exactly once each at a receiver that deduplicates, in the order they were accepted.
    EXPECT_EQ(befriend.deliveries(), expected);
    // At least once on the wire: the push whose reply was lost was sent again after the restart.
    const auto received = befriend.received();
    const auto repeats = std::count_if(received.begin(), received.end(), [&](const ReceivedPush& p) {
        return p.idempotency_key == expected[hung - 1];
    });
    EXPECT_EQ(repeats, 2);
    EXPECT_EQ(received.size(), referrals + 1);
    EXPECT_EQ(mind.request_count(), 0u);
}

TEST_F(DeliveryProcessTest, AReloadedRouteTakesEffectForNewReferralsWhileQueuedDeliveriesStillArrive) {
    constexpr std::size_t before = 4, after = 4;
    FakePartner befriend(*pki, PartnerBehaviour::fail);  // down: the first referrals wait in the outbox
    FakePartner mind(*pki);
    write_config(partnership_config(*pki, data_dir, befriend, mind, "reload-1", to_befriending));

    ServeProcess g = gateway();
    std::string error;
    ASSERT_TRUE(g.start(error, "reload")) << error;
    HttpClient c = client(g);
    for (std::size_t i = 1; i <= before; ++i) ASSERT_EQ(refer(c, "before-" + std::to_string(i)).status, 201u);
    ASSERT_TRUE(befriend.wait_for_requests(1, delivery_guard)) << "a delivery is being retried";

    // The partnership adds Mind's peer support for isolation.
    write_config(partnership_config(*pki, data_dir, befriend, mind, "reload-2",
                                    std::string(to_befriending) + ",\n    " + to_peer_support));
    ASSERT_TRUE(g.process.signal(SIGHUP));
    ASSERT_TRUE(g.process.wait_for_line("carebridge: config reloaded", line_guard)) << g.process.stderr_text();
    for (std::size_t i = 1; i <= after; ++i) ASSERT_EQ(refer(c, "after-" + std::to_string(i)).status, 201u);

    befriend.set_behaviour(PartnerBehaviour::accept);  // back up
    ASSERT_TRUE(befriend.wait_for_deliveries(before + after, delivery_guard)) << g.process.stderr_text();
    ASSERT_TRUE(mind.wait_for_deliveries(after, delivery_guard)) << g.process.stderr_text();
    ASSERT_TRUE(all_delivered(data_dir, before + after + after, error)) << error;
    c.close();
    stop_cleanly(g);

    const auto rows = outbox_rows(data_dir, error);
    ASSERT_TRUE(error.empty()) << error;
    // Nothing queued before the reload was dropped, and the charity's order held across it.
    EXPECT_EQ(befriend.deliveries(), keys_for(rows, "befriend"));
    // Mind has only the referrals that came after the new route, once each.
    const std::vector<std::string> to_mind = keys_for(rows, "mind");
    EXPECT_EQ(to_mind.size(), after);
    EXPECT_EQ(mind.deliveries(), to_mind);
    for (const ReceivedPush& push : mind.delivered()) {
        EXPECT_EQ(push.content_type.find("application/fhir+json"), 0u) << "in Mind's format: " << push.content_type;
        // The key is the referral's id and the recipient: the id header names the referral for a status reply.
        EXPECT_TRUE(!push.referral_id.empty() && push.idempotency_key.starts_with(push.referral_id + ":"))
            << push.referral_id << " / " << push.idempotency_key;
    }
}

}  // namespace
}  // namespace carebridge::testing
