// The real `carebridge serve` binary as a separate process over real TLS:
// refusing to start on a bad command line or config, draining on SIGTERM with
// requests in flight, reloading (or refusing to reload) on SIGHUP, surviving
// kill -9 with every acknowledged referral kept once, and an access log that
// carries no patient data. Each test has its own temp dir and port 0.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "support/gateway_fixture.hpp"
#include "support/serve_process.hpp"

namespace carebridge::testing {
namespace {

using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

// Failure guards only: none of these is a claim about speed.
constexpr auto start_guard = 30s;
constexpr auto exit_guard = 30s;
constexpr auto line_guard = 20s;
constexpr std::string_view referrals_prefix = "/referrals/";

std::string golden(const std::string& name) {
    return read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "tests/golden" / name);
}

// The ids of the stored messages, read from the SQLite file directly; empty
// with `error` set when the file cannot be read.
std::set<std::string> stored_ids(const std::filesystem::path& data_dir, std::string& error) {
    std::set<std::string> ids;
    sqlite3* db = nullptr;
    const auto file = data_dir / "carebridge.sqlite";
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        error = "cannot open " + file.string() + ": " + sqlite3_errmsg(db);
        sqlite3_close(db);
        return ids;
    }
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT id FROM messages", -1, &st, nullptr) != SQLITE_OK) {
        error = std::string("cannot read messages: ") + sqlite3_errmsg(db);
    } else {
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            ids.emplace(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
        if (rc != SQLITE_DONE) error = std::string("reading messages: ") + sqlite3_errmsg(db);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ids;
}

std::string id_of(const std::string& location) {
    return location.starts_with(referrals_prefix) ? location.substr(referrals_prefix.size()) : std::string();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
        lines.push_back(text.substr(start, end - start));
    return lines;
}

// A port that was free a moment ago; nothing of ours listens on it.
std::uint16_t free_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return acceptor.local_endpoint().port();
}

std::string describe(const Response& r) {
    if (r.error) return r.failed_step + ": " + r.error.message();
    return std::to_string(r.status) + " " + r.body.substr(0, 300);
}

class ServeProcessTest : public ::testing::Test {
protected:
    void SetUp() override {
        pki = std::make_unique<TestPki>(TestPki::create((temp.path() / "pki").string()));
        config_file = temp.path() / "gateway.json";
        data_dir = temp.path() / "data";
        // Generous timeouts: this suite tests signals and crashes, not the limits,
        // and a loaded two-core machine must not cut its clients off.
        limits.read_timeout_ms = 10000;
        limits.idle_timeout_ms = 30000;
        limits.drain_timeout_ms = 10000;
        write_config(config_text());
    }

    std::string config_text(const std::string& extra_clients = "") const {
        return gateway_config_text(*pki, data_dir.string(), limits, extra_clients);
    }

    // Written whole and closed before any signal, so a reload reads it complete.
    void write_config(const std::string& text) const {
        std::ofstream out(config_file, std::ios::binary | std::ios::trunc);
        out << text;
    }

    ServeProcess gateway() const { return ServeProcess(config_file, data_dir, temp.path() / "logs"); }

    ClientTls tls() const {
        ClientTls t;
        t.ca_cert = pki->ca_cert();
        return t;
    }

    HttpClient client(const ServeProcess& g) const { return HttpClient(g.address(), tls()); }

    static Response post_referral(HttpClient& c, const std::string& key, std::string_view token = "demo-trust") {
        return c.post("/referrals", "application/json", referral_body(),
                      {{"Authorization", bearer(token)}, {"Idempotency-Key", key}});
    }

    static const std::string& referral_body() {
        static const std::string body = golden("referral.json");
        return body;
    }

    // SIGTERM, then the exit status; the test fails (with the stderr) unless it drains cleanly.
    static void stop_cleanly(ServeProcess& g) {
        ASSERT_TRUE(g.process.signal(SIGTERM));
        const auto status = g.process.wait_for_exit(exit_guard);
        ASSERT_TRUE(status) << "no exit after SIGTERM; stderr:\n" << g.process.stderr_text();
        EXPECT_TRUE(status->exited_with(0)) << "code " << status->code << " signal " << status->signal << "\n"
                                            << g.process.stderr_text();
    }

    TempDir temp;
    std::unique_ptr<TestPki> pki;
    std::filesystem::path config_file;
    std::filesystem::path data_dir;
    GatewayLimits limits;
};

// ---------------------------------------------------------------- start-up

struct Refusal {
    ExitStatus status;
    std::string out;
    std::string err;
};

Refusal run_to_exit(const std::vector<std::string>& args, const std::filesystem::path& log_dir,
                    const std::string& name) {
    ChildProcess child;
    const auto ec = child.start(carebridge_binary(), args, log_dir.string(), name);
    EXPECT_FALSE(ec) << ec.message();
    const auto status = child.wait_for_exit(exit_guard);
    EXPECT_TRUE(status) << name << " did not exit; stderr:\n" << child.stderr_text();
    return {status.value_or(ExitStatus{}), child.stdout_text(), child.stderr_text()};
}

void expect_one_line_refusal(const Refusal& r, std::string_view names) {
    EXPECT_TRUE(r.status.exited_with(1)) << "code " << r.status.code << " signal " << r.status.signal;
    EXPECT_NE(r.err.find(names), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line, ending in a newline:\n" << r.err;
    EXPECT_TRUE(r.err.ends_with('\n')) << r.err;
    EXPECT_EQ(r.err.find("listening on"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(ServeProcessTest, BadCommandLineOrConfigStopsTheStartWithOneLineNamingIt) {
    const auto logs = temp.path() / "logs";
    expect_one_line_refusal(run_to_exit({"serve", "--listen", "127.0.0.1:0"}, logs, "no-config"), "--config");
    expect_one_line_refusal(
        run_to_exit({"serve", "--config", config_file.string(), "--frobnicate"}, logs, "unknown-option"),
        "--frobnicate");
    expect_one_line_refusal(run_to_exit({"serve", "--config"}, logs, "config-without-file"), "--config");

    // A misspelt limit: the key is named, and nothing is opened or bound.
    std::string text = config_text();
    const auto at = text.find("\"max_connections\"");
    ASSERT_NE(at, std::string::npos);
    text.insert(at, "\"max_body_bytes\": 1000, ");
    write_config(text);
    const std::uint16_t port = free_port();
    const auto refused = run_to_exit({"serve", "--config", config_file.string(), "--listen",
                                      "127.0.0.1:" + std::to_string(port), "--data", data_dir.string()},
                                     logs, "unknown-key");
    expect_one_line_refusal(refused, "max_body_bytes");
    EXPECT_NE(refused.err.find("unknown key"), std::string::npos) << refused.err;
    EXPECT_FALSE(std::filesystem::exists(data_dir / "carebridge.sqlite")) << "no store is opened for a bad config";
    RawConnection probe({"127.0.0.1", port});
    EXPECT_TRUE(probe.connect(5s)) << "something listens on the port a refused start was given";

    // Invalid JSON is refused the same way.
    write_config("{ \"schema\": \"carebridge-config/1\", ");
    expect_one_line_refusal(run_to_exit({"serve", "--config", config_file.string(), "--listen", "127.0.0.1:0"}, logs,
                                        "invalid-json"),
                            config_file.string());
}

// ---------------------------------------------------------------- SIGTERM

TEST_F(ServeProcessTest, SigtermDrainsRequestsInFlightAndEveryAcknowledgedReferralIsStored) {
    ServeProcess g = gateway();
    std::string error;
    ASSERT_TRUE(g.start(error, "drain")) << error;

    constexpr int clients = 4;
    constexpr int max_posts_per_client = 2000;  // a bound, never reached: SIGTERM comes first
    constexpr std::size_t acks_before_sigterm = 60;
    std::atomic<bool> sigterm_sent{false};
    std::atomic<std::size_t> acks{0};
    std::mutex mutex;
    std::vector<std::string> locations;        // every 201's Location
    std::vector<std::string> before_sigterm;   // failures while the gateway should have been serving
    std::vector<std::string> after_sigterm;    // how each client was turned away once draining
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t) {
        threads.emplace_back([&, t] {
            HttpClient c = client(g);
            for (int i = 0; i < max_posts_per_client; ++i) {
                const auto r = post_referral(c, "drain-" + std::to_string(t) + "-" + std::to_string(i));
                std::lock_guard lock(mutex);
                if (!r.error && r.status == 201) {
                    locations.push_back(r.header("Location"));
                    acks.fetch_add(1);
                    continue;
                }
                (sigterm_sent.load() ? after_sigterm : before_sigterm).push_back(describe(r));
                return;
            }
        });
    }
    const auto guard = std::chrono::steady_clock::now() + 60s;
    while (acks.load() < acks_before_sigterm && std::chrono::steady_clock::now() < guard) {
        {
            std::lock_guard lock(mutex);
            if (!before_sigterm.empty()) break;
        }
        std::this_thread::sleep_for(5ms);
    }
    sigterm_sent.store(true);
    const bool signalled = g.process.signal(SIGTERM);
    const auto status = g.process.wait_for_exit(exit_guard);
    for (auto& t : threads) t.join();
    ASSERT_TRUE(signalled) << "the gateway had already ended; stderr:\n" << g.process.stderr_text();
    ASSERT_TRUE(status) << "no exit after SIGTERM; stderr:\n" << g.process.stderr_text();
    EXPECT_TRUE(status->exited_with(0)) << "code " << status->code << " signal " << status->signal;

    EXPECT_TRUE(before_sigterm.empty()) << before_sigterm.front();
    ASSERT_GE(locations.size(), acks_before_sigterm);
    // A drain answers what is in flight and turns the rest away: 503, or a closed door.
    for (const auto& refusal : after_sigterm)
        EXPECT_TRUE(refusal.starts_with("503 ") || refusal.starts_with("connect") || refusal.starts_with("read") ||
                    refusal.starts_with("write") || refusal.starts_with("handshake"))
            << refusal;
    const std::string err = g.process.stderr_text();
    EXPECT_NE(err.find("carebridge: draining on SIGTERM\n"), std::string::npos) << err;
    EXPECT_NE(err.find("carebridge: stopped\n"), std::string::npos) << err;
    EXPECT_EQ(err.find("drain timeout"), std::string::npos) << err;

    // Every 201 was committed, and nothing was committed without its 201.
    std::set<std::string> acknowledged;
    for (const auto& location : locations) acknowledged.insert(id_of(location));
    EXPECT_EQ(acknowledged.size(), locations.size()) << "two 201s named the same referral";
    const auto ids = stored_ids(data_dir, error);
    ASSERT_TRUE(error.empty()) << error;
    EXPECT_EQ(ids.size(), acknowledged.size());
    for (const auto& id : acknowledged) EXPECT_TRUE(ids.count(id)) << "acknowledged, not stored: " << id;
    for (const auto& id : ids) EXPECT_TRUE(acknowledged.count(id)) << "stored, its 201 never sent: " << id;

    // The access log has one line for each 201 the clients read.
    std::size_t logged_201 = 0;
    for (const auto& line : lines_of(g.process.stdout_text()))
        if (line.find("\"status\":201,") != std::string::npos) ++logged_201;
    EXPECT_EQ(logged_201, locations.size());

    // Restarted on the same store, the gateway serves each of them.
    ServeProcess again = gateway();
    ASSERT_TRUE(again.start(error, "drain-restart")) << error;
    HttpClient c = client(again);
    std::size_t served = 0;
    for (const auto& location : locations) {
        const auto r = c.get(location, {{"Authorization", bearer("demo-trust")}});
        EXPECT_EQ(r.status, 200u) << location << ": " << describe(r);
        served += r.status == 200u;
    }
    EXPECT_EQ(served, locations.size());
    stop_cleanly(again);
}

// ---------------------------------------------------------------- SIGHUP

TEST_F(ServeProcessTest, SighupRefusesABadConfigAndKeepsServingThenTakesAGoodOne) {
    ServeProcess g = gateway();
    std::string error;
    ASSERT_TRUE(g.start(error, "reload")) << error;
    HttpClient kept = client(g);  // one keep-alive connection across the reloads
    ASSERT_EQ(post_referral(kept, "reload-0").status, 201u);
    const std::string good = config_text();

    // Not JSON at all.
    write_config(good.substr(0, good.size() / 2));
    ASSERT_TRUE(g.process.signal(SIGHUP));
    auto refused = g.process.wait_for_line("carebridge: config reload refused, the running config stays: ", line_guard);
    ASSERT_TRUE(refused) << g.process.stderr_text();
    EXPECT_NE(refused->find("not valid JSON"), std::string::npos) << *refused;
    auto r = post_referral(kept, "reload-1");
    EXPECT_EQ(r.status, 201u) << describe(r);
    HttpClient fresh = client(g);
    r = post_referral(fresh, "reload-2");
    EXPECT_EQ(r.status, 201u) << describe(r);

    // Valid JSON with an unknown key: named, and refused.
    std::string unknown = good;
    unknown.insert(unknown.find("\"threads\""), "\"worker_threads\": 4, ");
    write_config(unknown);
    ASSERT_TRUE(g.process.signal(SIGHUP));
    refused = g.process.wait_for_line("carebridge: config reload refused", line_guard, 2);
    ASSERT_TRUE(refused) << g.process.stderr_text();
    EXPECT_NE(refused->find("worker_threads"), std::string::npos) << *refused;
    r = post_referral(kept, "reload-3");
    EXPECT_EQ(r.status, 201u) << describe(r);

    // A new client: unknown until the good config is loaded, then welcome without a restart.
    EXPECT_EQ(post_referral(fresh, "reload-4", "test-newcomer").status, 401u);
    write_config(config_text(R"(,
    { "id": "newcomer", "organisation": "befriend", "roles": ["submitter"],
      "token_sha256": ")" + gateway::config::sha256_hex("test-newcomer") +
                             R"(" })"));
    ASSERT_TRUE(g.process.signal(SIGHUP));
    ASSERT_TRUE(g.process.wait_for_line("carebridge: config reloaded", line_guard)) << g.process.stderr_text();
    r = post_referral(fresh, "reload-5", "test-newcomer");
    EXPECT_EQ(r.status, 201u) << describe(r);
    HttpClient newcomer = client(g);
    r = post_referral(newcomer, "reload-6", "test-newcomer");
    EXPECT_EQ(r.status, 201u) << describe(r);
    r = post_referral(kept, "reload-7");
    EXPECT_EQ(r.status, 201u) << describe(r);
    EXPECT_EQ(kept.connections_opened(), 1) << "a reload does not drop connections";

    kept.close();
    fresh.close();
    newcomer.close();
    stop_cleanly(g);
    const auto ids = stored_ids(data_dir, error);
    ASSERT_TRUE(error.empty()) << error;
    EXPECT_EQ(ids.size(), 7u);
}

// ---------------------------------------------------------------- kill -9

TEST_F(ServeProcessTest, KillNineLosesNoAcknowledgedReferralAndStoresNoneTwice) {
    ServeProcess g = gateway();
    std::string error;
    ASSERT_TRUE(g.start(error, "crash")) << error;

    constexpr std::size_t acks_before_kill = 150;
    constexpr int max_posts = 5000;  // a bound, never reached: the kill comes first
    const auto key = [](std::size_t i) { return "crash-" + std::to_string(i); };
    std::atomic<std::size_t> acks{0};
    std::atomic<bool> killed{false};
    std::atomic<bool> poster_done{false};
    std::vector<std::string> locations;  // locations[i] answered key(i); written by the poster only
    std::string ended_by;                // the poster's last, failed, request
    bool failed_before_kill = false;
    std::thread poster([&] {
        HttpClient c = client(g);
        for (int i = 0; i < max_posts; ++i) {
            const auto r = post_referral(c, key(locations.size()));
            if (r.error || r.status != 201) {
                failed_before_kill = !killed.load();
                ended_by = describe(r);
                poster_done.store(true);
                return;
            }
            locations.push_back(r.header("Location"));
            acks.store(locations.size());
        }
    });
    const auto guard = std::chrono::steady_clock::now() + 60s;
    while (acks.load() < acks_before_kill && std::chrono::steady_clock::now() < guard && !poster_done.load())
        std::this_thread::sleep_for(1ms);
    killed.store(true);
    const bool signalled = g.process.signal(SIGKILL);
    poster.join();
    ASSERT_TRUE(signalled) << "the gateway had already ended; stderr:\n" << g.process.stderr_text();
    const auto status = g.process.wait_for_exit(exit_guard);
    ASSERT_TRUE(status);
    EXPECT_EQ(status->signal, SIGKILL);
    ASSERT_FALSE(failed_before_kill) << ended_by;
    const std::size_t acked = locations.size();
    ASSERT_GE(acked, acks_before_kill);

    ServeProcess again = gateway();
    ASSERT_TRUE(again.start(error, "crash-restart")) << error;
    HttpClient c = client(again);
    for (const auto& location : locations) {
        const auto r = c.get(location, {{"Authorization", bearer("demo-trust")}});
        ASSERT_EQ(r.status, 200u) << location << ": " << describe(r);
    }
    auto ids = stored_ids(data_dir, error);
    ASSERT_TRUE(error.empty()) << error;
    // The one in flight at the kill may have committed without its 201 reaching us.
    EXPECT_GE(ids.size(), acked);
    EXPECT_LE(ids.size(), acked + 1);
    for (const auto& location : locations) EXPECT_TRUE(ids.count(id_of(location))) << location;
    const bool in_flight_committed = ids.size() == acked + 1;

    // The sender resends everything it is unsure of, and more: nothing is stored twice.
    for (std::size_t i = 0; i <= acked; ++i) {
        const auto r = post_referral(c, key(i));
        ASSERT_EQ(r.status, 201u) << key(i) << ": " << describe(r);
        if (i < acked) {
            EXPECT_EQ(r.header("Idempotent-Replayed"), "true") << key(i);
            EXPECT_EQ(r.header("Location"), locations[i]) << key(i);
        } else {
            EXPECT_EQ(r.header("Idempotent-Replayed") == "true", in_flight_committed)
                << "the request in flight at the kill: " << ended_by;
        }
    }
    ids = stored_ids(data_dir, error);
    ASSERT_TRUE(error.empty()) << error;
    EXPECT_EQ(ids.size(), acked + 1);
    c.close();
    stop_cleanly(again);
}

// ---------------------------------------------------------------- access log

TEST_F(ServeProcessTest, AccessLogIsJsonLinesWithoutPatientDataOrTokens) {
    ServeProcess g = gateway();
    std::string error;
    ASSERT_TRUE(g.start(error, "access-log")) << error;
    HttpClient c = client(g);
    const Headers trust = {{"Authorization", bearer("demo-trust")}};

    const auto posted = post_referral(c, "log-1");
    ASSERT_EQ(posted.status, 201u) << describe(posted);
    const std::string location = posted.header("Location");
    const auto read =
        c.get(location, {{"Authorization", bearer("demo-trust")}, {"Accept", "application/vnd.carebridge.referral+json"}});
    ASSERT_EQ(read.status, 200u) << describe(read);
    ASSERT_NE(read.body.find("9990000085"), std::string::npos) << "the body carries what the log must not";
    EXPECT_EQ(c.post("/fhir", "application/fhir+json", golden("referral.fhir.json"), trust).status, 201u);
    EXPECT_EQ(post_referral(c, "log-2", "not-a-token").status, 401u);
    std::string bad_nhs = referral_body();
    bad_nhs.replace(bad_nhs.find("9990000085"), 10, "9990000086");
    EXPECT_EQ(c.post("/referrals", "application/json", bad_nhs, trust).status, 422u);
    // Patient data in the target itself: the log names routes, never targets.
    EXPECT_EQ(c.get("/patients/9990000085/Whitfield", trust).status, 404u);
    c.get(location + "?nhs=9990000085&family=Whitfield", trust);
    EXPECT_EQ(c.get("/healthz").status, 200u);
    constexpr std::size_t requests = 8;
    c.close();
    stop_cleanly(g);

    const std::string out = g.process.stdout_text();
    const auto lines = lines_of(out);
    ASSERT_EQ(lines.size(), requests) << out;
    std::multiset<unsigned> statuses;
    std::set<std::string> routes;
    for (const auto& line : lines) {
        rapidjson::Document entry;
        entry.Parse(line.data(), line.size());
        ASSERT_FALSE(entry.HasParseError()) << line;
        ASSERT_TRUE(entry.IsObject()) << line;
        ASSERT_TRUE(entry.HasMember("status") && entry["status"].IsUint()) << line;
        ASSERT_TRUE(entry.HasMember("route") && entry["route"].IsString()) << line;
        statuses.insert(entry["status"].GetUint());
        routes.insert(entry["route"].GetString());
    }
    EXPECT_EQ(statuses.count(201), 2u) << out;
    EXPECT_EQ(statuses.count(401), 1u) << out;
    EXPECT_EQ(statuses.count(422), 1u) << out;
    EXPECT_GE(statuses.count(404), 1u) << out;
    EXPECT_EQ(routes, (std::set<std::string>{"/referrals", "/referrals/{id}", "/fhir", "unmatched", "/healthz"})) << out;
    for (const char* secret : {"9990000085", "9990000086", "Whitfield", "Danny", "1978-03-14", "NF6 2QT",
                               "demo-trust", "not-a-token", "Bearer", "nhs="})
        EXPECT_EQ(out.find(secret), std::string::npos) << "the access log carries '" << secret << "':\n" << out;
}

}  // namespace
}  // namespace carebridge::testing
