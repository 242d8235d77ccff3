// Several real `carebridge serve` instances on one PostgreSQL database (a
// real server, support/postgres_server.hpp), to fake partners over real TLS:
//
// - a bounded load of referrals spread over two or three instances, some
//   posted to two instances at once, reaches each partner exactly once per
//   idempotency key and in the recipient's order, though the instance that
//   held a delivery in flight is killed with SIGKILL mid-load (another takes
//   the delivery over when its lease runs out); every 201 is delivered and
//   `carebridge audit verify` finds one intact log;
// - PostgreSQL stopped and started again under load: the instances answer
//   /readyz 503 while it is down and 200 again without a restart, and every
//   referral acknowledged with a 201 is stored once and delivered.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "audit/checkpoint.hpp"
#include "config/config.hpp"
#include "support/fake_partner.hpp"
#include "support/gateway_fixture.hpp"
#include "support/postgres_server.hpp"
#include "support/serve_process.hpp"

namespace carebridge::testing {
namespace {

using namespace std::chrono_literals;

// Failure guards only, never claims about speed.
constexpr auto exit_guard = 30s;
constexpr auto post_guard = 120s;      // one referral's retries across instances (and a database restart)
constexpr auto delivery_guard = 120s;  // covers a lease (3 s) and a few backoff waits (2 s base)
constexpr int lease_seconds = 3;

// The Trust refers isolation needs to a befriending charity and to Mind,
// both pushed to fake partners; the store is the shared database.
std::string scale_out_config(const TestPki& pki, const std::string& url, const FakePartner& befriend,
                             const FakePartner& mind) {
    std::string text = R"json({
  "schema": "carebridge-config/1",
  "listener": {"host": "127.0.0.1", "port": 0, "tls": {"certificate": "SERVER_CERT", "private_key": "SERVER_KEY"}},
  "threads": 1,
  "store": "STORE_URL",
  "outbox_lease_seconds": LEASE,
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
  "policy_version": "scale-out-1",
  "routing_rules": [{"id": "isolation", "match": {"needs": ["isolation"]},
                     "recipients": [{"organisation": "befriend", "service": "befriending"},
                                    {"organisation": "mind", "service": "peer-support"}]}],
  "agreements": {
    "trust-befriend": {"from": "trust", "to": "befriend", "purposes": ["direct-care"],
                       "lawful_basis": {"article6": "6(1)(e)", "article9": "9(2)(h)"}, "profile": "befriending"},
    "trust-mind": {"from": "trust", "to": "mind", "purposes": ["direct-care"],
                   "lawful_basis": {"article6": "6(1)(e)", "article9": "9(2)(h)"}, "profile": "befriending"}
  },
  "minimisation_profiles": {
    "befriending": {"fields": ["person.name", "person.contact_preferences", "referral.needs", "referral.risk.summary"]}
  }
})json";
    const auto put = [&](std::string_view key, const std::string& value) {
        for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
            text.replace(at, key.size(), value);
    };
    put("SERVER_CERT", pki.server_cert());
    put("SERVER_KEY", pki.server_key());
    put("CA_CERT", pki.ca_cert());
    put("STORE_URL", url);
    put("LEASE", std::to_string(lease_seconds));
    put("BEFRIEND_URL", befriend.url());
    put("MIND_URL", mind.url());
    put("TRUST_HASH", gateway::config::sha256_hex("test-trust"));
    return text;
}

std::vector<std::string> column(const std::string& url, const std::string& sql) {
    // One row per line, through string_agg: the helper returns one value.
    std::string error;
    const std::string joined = postgres_query(url, "SELECT coalesce(string_agg(v, E'\\n'), '') FROM (" + sql + ") q(v)",
                                              error);
    EXPECT_TRUE(error.empty()) << error;
    std::vector<std::string> rows;
    std::size_t start = 0;
    while (start < joined.size()) {
        const auto end = std::min(joined.find('\n', start), joined.size());
        rows.push_back(joined.substr(start, end - start));
        start = end + 1;
    }
    return rows;
}

class ScaleOutTest : public ::testing::Test {
protected:
    void SetUp() override {
        pki = std::make_unique<TestPki>(TestPki::create((temp.path() / "pki").string()));
        std::string error;
        server = shared_postgres(error);
        // Not a skip: install-deps.sh installs PostgreSQL; one that cannot start must be seen.
        ASSERT_TRUE(server) << "PostgreSQL must start for the scale-out tests: " << error;
        url = server->fresh_database(error);
        ASSERT_TRUE(error.empty()) << error;
        config_file = temp.path() / "gateway.json";
    }

    void write_config(const FakePartner& befriend, const FakePartner& mind) const {
        std::ofstream out(config_file, std::ios::binary | std::ios::trunc);
        out << scale_out_config(*pki, url, befriend, mind);
    }

    std::filesystem::path data_of(std::size_t i) const { return temp.path() / ("data-" + std::to_string(i)); }

    // Starts `count` instances, each with its own data directory; the first
    // creates the audit signing key and the others get a copy, as an
    // operator would hand every replica the same secret.
    void start_instances(std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            if (i > 0) {
                std::filesystem::create_directories(data_of(i));
                for (const auto name : {gateway::audit::signing_key_file, gateway::audit::public_key_file})
                    std::filesystem::copy_file(data_of(0) / name, data_of(i) / name,
                                               std::filesystem::copy_options::overwrite_existing);
            }
            instances.push_back(std::make_unique<ServeProcess>(config_file, data_of(i), temp.path() / "logs"));
            std::string error;
            ASSERT_TRUE(instances.back()->start(error, "instance-" + std::to_string(i))) << error;
        }
    }

    bool alive(std::size_t i) const { return !killed.contains(i); }

    // Posts the sample referral under `key` to instance `first`, moving on to
    // the next live instance on a refused connection or a 503, as a load
    // balancer would, until one acknowledges it; the Location, or "" when
    // none did within the guard.
    std::string refer(const std::string& key, std::size_t first) {
        static const std::string body =
            read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "tests/golden/referral.json");
        const auto guard = std::chrono::steady_clock::now() + post_guard;
        for (std::size_t attempt = 0; std::chrono::steady_clock::now() < guard; ++attempt) {
            const std::size_t i = (first + attempt) % instances.size();
            {
                std::lock_guard lock(mutex);
                if (!alive(i)) continue;
            }
            ClientTls tls;
            tls.ca_cert = pki->ca_cert();
            HttpClient c(instances[i]->address(), tls);
            const Response r = c.post("/referrals", "application/json", body,
                                      {{"Authorization", bearer("test-trust")}, {"Idempotency-Key", key}});
            if (r.status == 201) return r.header("Location");
            EXPECT_TRUE(r.error || r.status == 503) << "instance " << i << " answered " << r.status << ": " << r.body;
            std::this_thread::sleep_for(50ms);
        }
        return {};
    }

    unsigned readyz(std::size_t i) {
        ClientTls tls;
        tls.ca_cert = pki->ca_cert();
        HttpClient c(instances[i]->address(), tls);
        return c.get("/readyz").status;
    }

    // Waits (bounded) until every instance still alive answers /readyz `status`.
    bool all_ready_say(unsigned status) {
        const auto guard = std::chrono::steady_clock::now() + 60s;
        while (std::chrono::steady_clock::now() < guard) {
            bool all = true;
            for (std::size_t i = 0; i < instances.size(); ++i)
                if (alive(i) && readyz(i) != status) all = false;
            if (all) return true;
            std::this_thread::sleep_for(100ms);
        }
        return false;
    }

    // Waits (bounded) until every outbox row in the database is delivered.
    bool all_delivered(std::size_t expected) {
        const auto guard = std::chrono::steady_clock::now() + delivery_guard;
        while (std::chrono::steady_clock::now() < guard) {
            std::string error;
            const std::string done =
                postgres_query(url, "SELECT count(*) FROM outbox WHERE state = 'delivered'", error);
            const std::string all = postgres_query(url, "SELECT count(*) FROM outbox", error);
            if (error.empty() && done == std::to_string(expected) && all == done) return true;
            std::this_thread::sleep_for(200ms);
        }
        return false;
    }

    void stop_survivors() {
        for (std::size_t i = 0; i < instances.size(); ++i) {
            if (!alive(i)) continue;
            ASSERT_TRUE(instances[i]->process.signal(SIGTERM));
            const auto status = instances[i]->process.wait_for_exit(exit_guard);
            ASSERT_TRUE(status) << "no exit after SIGTERM; stderr:\n" << instances[i]->process.stderr_text();
            EXPECT_TRUE(status->exited_with(0)) << instances[i]->process.stderr_text();
        }
    }

    // `carebridge audit verify` on the shared database, with an instance's public key.
    void expect_audit_verifies() {
        ChildProcess verify;
        const auto ec = verify.start(carebridge_binary(),
                                     {"audit", "verify", "--config", config_file.string(), "--data", data_of(0).string()},
                                     (temp.path() / "logs").string(), "audit-verify");
        ASSERT_FALSE(ec) << ec.message();
        const auto status = verify.wait_for_exit(exit_guard);
        ASSERT_TRUE(status);
        EXPECT_TRUE(status->exited_with(0)) << verify.stdout_text() << verify.stderr_text();
        EXPECT_NE(verify.stdout_text().find("intact"), std::string::npos) << verify.stdout_text();
    }

    // Every acknowledged referral reached both partners exactly once by key,
    // each partner's in the order of its outbox, and nothing else did.
    void expect_each_delivered_once_in_order(const std::set<std::string>& locations, const FakePartner& befriend,
                                             const FakePartner& mind) {
        std::set<std::string> ids;
        for (const std::string& location : locations) ids.insert(location.substr(location.rfind('/') + 1));
        EXPECT_EQ(column(url, "SELECT id FROM messages").size(), ids.size()) << "each referral stored once";
        for (const auto& [partner, recipient, service] :
             {std::tuple{&befriend, "befriend", "befriending"}, std::tuple{&mind, "mind", "peer-support"}}) {
            const auto delivered = partner->deliveries();
            const std::set<std::string> unique(delivered.begin(), delivered.end());
            EXPECT_EQ(unique.size(), delivered.size());
            std::set<std::string> expected;
            for (const std::string& id : ids) expected.insert(id + ":" + recipient + ":" + service);
            EXPECT_EQ(unique, expected) << recipient;
            EXPECT_EQ(delivered, column(url, std::string("SELECT idempotency_key FROM outbox WHERE recipient = '") +
                                                 recipient + "' ORDER BY seq"))
                << recipient << ": in the recipient's order";
        }
    }

    TempDir temp;
    std::unique_ptr<TestPki> pki;
    PostgresServer* server = nullptr;
    std::string url;
    std::filesystem::path config_file;
    std::vector<std::unique_ptr<ServeProcess>> instances;
    std::mutex mutex;
    std::set<std::size_t> killed;  // guarded by mutex
};

class ScaleOutKillTest : public ScaleOutTest, public ::testing::WithParamInterface<std::size_t> {};

TEST_P(ScaleOutKillTest, EveryAcknowledgedReferralIsDeliveredOnceInOrderThoughAnInstanceDiesMidDelivery) {
    const std::size_t count = GetParam();
    constexpr std::size_t referrals = 30;
    FakePartner befriend(*pki);
    FakePartner mind(*pki);
    // The charity stores the first push, then its reply never comes: the
    // instance that sent it holds the delivery in flight until it is killed.
    befriend.set_script([](std::size_t n) { return n == 1 ? PartnerBehaviour::accept_then_hang : PartnerBehaviour::accept; });
    write_config(befriend, mind);
    start_instances(count);
    ASSERT_FALSE(HasFatalFailure());

    std::mutex results_mutex;
    std::set<std::string> locations;
    std::vector<std::string> unacknowledged;
    std::vector<std::string> disagreements;
    const auto post_slice = [&](std::size_t from, std::size_t step) {
        for (std::size_t k = from; k < referrals; k += step) {
            const std::string key = "scale-" + std::to_string(k);
            std::string location = refer(key, k);
            // Every fifth referral is posted to a second instance as well, as a
            // client retrying through the load balancer would: the same answer.
            if (k % 5 == 0) {
                const std::string again = refer(key, k + 1);
                std::lock_guard lock(results_mutex);
                if (again != location) disagreements.push_back(key + ": " + location + " / " + again);
            }
            std::lock_guard lock(results_mutex);
            if (location.empty())
                unacknowledged.push_back(key);
            else
                locations.insert(location);
        }
    };
    std::vector<std::thread> clients;
    for (std::size_t t = 0; t < 3; ++t) clients.emplace_back(post_slice, t, 3);

    // Mid-load: the instance holding the charity's first delivery is killed.
    ASSERT_TRUE(befriend.wait_for_requests(1, delivery_guard));
    std::vector<std::string> holder;
    const auto claim_guard = std::chrono::steady_clock::now() + 30s;
    while (holder.empty() && std::chrono::steady_clock::now() < claim_guard) {
        holder = column(url, "SELECT claimed_by FROM outbox WHERE recipient = 'befriend' AND state = 'pending' "
                             "AND claimed_by IS NOT NULL ORDER BY seq LIMIT 1");
        if (holder.empty()) std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(holder.size(), 1u) << "the delivery in flight is claimed by its instance";
    // claimed_by is host:pid:random.
    const std::string& claim = holder.front();
    const auto pid_text = claim.substr(claim.find(':') + 1, claim.rfind(':') - claim.find(':') - 1);
    std::size_t victim = instances.size();
    for (std::size_t i = 0; i < instances.size(); ++i)
        if (std::to_string(instances[i]->process.pid()) == pid_text) victim = i;
    ASSERT_LT(victim, instances.size()) << "no instance has pid " << pid_text << " (claim " << claim << ")";
    {
        std::lock_guard lock(mutex);
        killed.insert(victim);
        ASSERT_TRUE(instances[victim]->process.signal(SIGKILL));
    }
    const auto status = instances[victim]->process.wait_for_exit(exit_guard);
    ASSERT_TRUE(status);
    EXPECT_EQ(status->signal, SIGKILL);

    for (auto& c : clients) c.join();
    EXPECT_TRUE(unacknowledged.empty()) << unacknowledged.size() << " referrals never got a 201";
    EXPECT_TRUE(disagreements.empty()) << disagreements.front();
    ASSERT_EQ(locations.size(), referrals);

    // Another instance takes the killed one's delivery over after its lease.
    ASSERT_TRUE(befriend.wait_for_deliveries(referrals, delivery_guard));
    ASSERT_TRUE(mind.wait_for_deliveries(referrals, delivery_guard));
    ASSERT_TRUE(all_delivered(2 * referrals)) << "not every outbox row is delivered";
    expect_each_delivered_once_in_order(locations, befriend, mind);
    // At least once on the wire: the push whose reply was lost went again, from another instance.
    const auto received = befriend.received();
    EXPECT_EQ(std::count_if(received.begin(), received.end(),
                            [&](const ReceivedPush& p) { return p.idempotency_key == befriend.deliveries().front(); }),
              2);

    stop_survivors();
    expect_audit_verifies();
}

INSTANTIATE_TEST_SUITE_P(Instances, ScaleOutKillTest, ::testing::Values(2, 3),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                             return std::to_string(info.param) + "Instances";
                         });

TEST_F(ScaleOutTest, APostgresqlRestartUnderLoadIsNotReadyThenRecoversWithoutRestartAndLosesNothing) {
    constexpr std::size_t referrals = 40;
    FakePartner befriend(*pki);
    FakePartner mind(*pki);
    write_config(befriend, mind);
    start_instances(2);
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_TRUE(all_ready_say(200));

    std::atomic<std::size_t> acknowledged{0};
    std::mutex results_mutex;
    std::set<std::string> locations;
    std::vector<std::string> unacknowledged;
    std::thread client([&] {
        for (std::size_t k = 0; k < referrals; ++k) {
            const std::string key = "restart-" + std::to_string(k);
            const std::string location = refer(key, k);
            std::lock_guard lock(results_mutex);
            if (location.empty()) {
                unacknowledged.push_back(key);
            } else {
                locations.insert(location);
                ++acknowledged;
            }
        }
    });

    const auto guard = std::chrono::steady_clock::now() + post_guard;
    while (acknowledged.load() < referrals / 4 && std::chrono::steady_clock::now() < guard)
        std::this_thread::sleep_for(20ms);
    server->stop();
    const bool not_ready = all_ready_say(503);
    std::string error;
    const bool restarted = server->start(error);
    ASSERT_TRUE(restarted) << error;  // before any assertion that could leave the client thread waiting
    EXPECT_TRUE(not_ready) << "/readyz did not say 503 while PostgreSQL was down";
    EXPECT_TRUE(all_ready_say(200)) << "/readyz did not recover without a gateway restart";
    client.join();
    EXPECT_TRUE(unacknowledged.empty()) << unacknowledged.size() << " referrals never got a 201";
    ASSERT_EQ(locations.size(), referrals);
    for (std::size_t i = 0; i < instances.size(); ++i) EXPECT_TRUE(instances[i]->process.running()) << i;

    ASSERT_TRUE(befriend.wait_for_deliveries(referrals, delivery_guard));
    ASSERT_TRUE(mind.wait_for_deliveries(referrals, delivery_guard));
    ASSERT_TRUE(all_delivered(2 * referrals)) << "not every outbox row is delivered";
    expect_each_delivered_once_in_order(locations, befriend, mind);
    stop_survivors();
    expect_audit_verifies();
}

}  // namespace
}  // namespace carebridge::testing
