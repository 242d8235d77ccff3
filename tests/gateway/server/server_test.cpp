// The gateway in process over real TLS: every endpoint and status, tokens,
// roles and client certificates, content negotiation, idempotent repeats,
// limits and drain. Each test starts its own gateway on port 0.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <cstdlib>
#include <set>
#include <thread>
#include <vector>

#include "support/gateway_fixture.hpp"

namespace carebridge::testing {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

std::string golden(const std::string& name) {
    return read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "tests/golden" / name);
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

class GatewayTest : public ::testing::Test {
protected:
    TempDir temp;
};

TEST_F(GatewayTest, ProbesAndMetricsAnswerWithoutCredentials) {
    RunningGateway gw(temp.path());
    auto c = gw.client();
    auto health = c.get("/healthz");
    ASSERT_FALSE(health.error) << health.failed_step << ": " << health.error.message();
    EXPECT_EQ(health.status, 200u);
    EXPECT_EQ(c.get("/readyz").status, 200u);
    auto metrics = c.get("/metrics");
    EXPECT_EQ(metrics.status, 200u);
    EXPECT_NE(metrics.body.find("carebridge_http_requests_total{route=\"/healthz\",status=\"200\"} 1"),
              std::string::npos)
        << metrics.body;
    EXPECT_NE(metrics.body.find("carebridge_open_connections 1"), std::string::npos);
    EXPECT_EQ(c.connections_opened(), 1) << "keep-alive should hold one connection";
}

TEST_F(GatewayTest, FhirBundleIsStoredAndServedInEachFormat) {
    RunningGateway gw(temp.path());
    auto c = gw.client();
    auto posted = c.post("/fhir", "application/fhir+json", golden("referral.fhir.json"),
                         {{"Authorization", bearer("demo-trust")}});
    ASSERT_EQ(posted.status, 201u) << posted.body;
    const std::string location = posted.header("Location");
    ASSERT_TRUE(location.starts_with("/referrals/")) << location;
    EXPECT_NE(posted.body.find("OperationOutcome"), std::string::npos);

    auto as_fhir = c.get(location, {{"Authorization", bearer("demo-trust")}, {"Accept", "application/fhir+json"}});
    EXPECT_EQ(as_fhir.status, 200u);
    EXPECT_EQ(as_fhir.header("Content-Type"), "application/fhir+json");
    EXPECT_EQ(as_fhir.body, golden("referral.fhir.json")) << "the original payload is served as it came";

    auto as_referral = c.get(location, {{"Authorization", bearer("demo-trust")},
                                        {"Accept", "application/vnd.carebridge.referral+json"}});
    EXPECT_EQ(as_referral.status, 200u);
    EXPECT_NE(as_referral.body.find("\"nhsNumber\":\"9990000085\""), std::string::npos) << as_referral.body;

    auto as_xml = c.get(location, {{"Authorization", bearer("demo-trust")}, {"Accept", "text/html, application/xml;q=0.9"}});
    EXPECT_EQ(as_xml.status, 200u);
    EXPECT_EQ(as_xml.header("Content-Type"), "application/xml");
    EXPECT_NE(as_xml.body.find("<CareNotesExport"), std::string::npos);

    auto html = c.get(location, {{"Authorization", bearer("demo-trust")}, {"Accept", "text/html"}});
    EXPECT_EQ(html.status, 406u);
    EXPECT_NE(html.body.find("OperationOutcome"), std::string::npos);

    // Another organisation cannot learn the referral exists; an auditor never reads payloads.
    EXPECT_EQ(c.get(location, {{"Authorization", bearer("demo-council")}}).status, 404u);
    EXPECT_EQ(c.get(location, {{"Authorization", bearer("demo-admin")}}).status, 200u);
    EXPECT_EQ(c.get("/referrals/00000000-0000-4000-8000-000000000000", {{"Authorization", bearer("demo-trust")}}).status,
              404u);
}

TEST_F(GatewayTest, RepeatedMessageIsStoredOnce) {
    RunningGateway gw(temp.path());
    auto c = gw.client();
    const Headers auth = {{"Authorization", bearer("demo-trust")}};
    // The golden Bundle names itself (Bundle.identifier / MessageHeader.id).
    auto first = c.post("/fhir", "application/fhir+json", golden("referral.fhir.json"), auth);
    auto second = c.post("/fhir", "application/fhir+json", golden("referral.fhir.json"), auth);
    ASSERT_EQ(first.status, 201u);
    ASSERT_EQ(second.status, 201u);
    EXPECT_EQ(first.header("Location"), second.header("Location"));
    EXPECT_EQ(second.header("Idempotent-Replayed"), "true");
    EXPECT_EQ(first.body, second.body);

    // An Idempotency-Key makes any body recognisable; partnership JSON too.
    Headers keyed = auth;
    keyed.emplace_back("Idempotency-Key", "epr-batch-17");
    auto a = c.post("/referrals", "application/json", golden("referral.json"), keyed);
    auto b = c.post("/referrals", "application/json", golden("referral.json"), keyed);
    ASSERT_EQ(a.status, 201u) << a.body;
    EXPECT_EQ(a.header("Location"), b.header("Location"));
    gw.stop();
    EXPECT_EQ(count_messages(gw.store_dir), 2u);
}

TEST_F(GatewayTest, EachRefusalHasItsStatusAndAnOperationOutcome) {
    RunningGateway gw(temp.path());
    auto c = gw.client();
    const std::string bundle = golden("referral.fhir.json");
    const auto expect = [&](const Response& r, unsigned status) {
        EXPECT_EQ(r.status, status) << r.body;
        if (status >= 400) {
            EXPECT_EQ(r.header("Content-Type"), "application/fhir+json");
            EXPECT_NE(r.body.find("\"resourceType\":\"OperationOutcome\""), std::string::npos) << r.body;
        }
    };
    auto none = c.post("/fhir", "application/fhir+json", bundle);
    expect(none, 401);
    EXPECT_NE(none.header("WWW-Authenticate").find("Bearer"), std::string::npos);
    expect(c.post("/fhir", "application/fhir+json", bundle, {{"Authorization", bearer("not-a-token")}}), 401);
    expect(c.post("/fhir", "application/fhir+json", bundle, {{"Authorization", "Basic dXNlcjpwYXNz"}}), 401);
    // A partner receives; it does not submit.
    expect(c.post("/fhir", "application/fhir+json", bundle, {{"Authorization", bearer("demo-mind")}}), 403);
    expect(c.get("/no-such-thing"), 404);
    auto wrong_method = c.get("/fhir", {{"Authorization", bearer("demo-trust")}});
    expect(wrong_method, 405);
    EXPECT_EQ(wrong_method.header("Allow"), "POST");
    expect(c.post("/fhir", "text/plain", bundle, {{"Authorization", bearer("demo-trust")}}), 415);
    expect(c.post("/fhir", "application/fhir+json", "{\"resourceType\": ", {{"Authorization", bearer("demo-trust")}}),
           400);
    std::string bad_nhs = golden("referral.json");
    bad_nhs.replace(bad_nhs.find("9990000085"), 10, "9990000086");
    auto invalid = c.post("/referrals", "application/json", bad_nhs, {{"Authorization", bearer("demo-trust")}});
    expect(invalid, 422);
    EXPECT_NE(invalid.body.find("nhsNumber"), std::string::npos) << invalid.body;
    expect(c.post("/fhir/Patient", "application/fhir+json", "{\"resourceType\":\"Flag\",\"status\":\"active\"}",
                  {{"Authorization", bearer("demo-trust")}}),
           422);
    expect(c.post("/translate?from=fhir", "application/fhir+json", bundle, {{"Authorization", bearer("demo-trust")}}),
           400);

    // Over the JSON body limit, declared up front: refused before the body is read.
    RawConnection raw(gw.address(), gw.tls());
    ASSERT_FALSE(raw.connect());
    ASSERT_FALSE(raw.write("POST /fhir HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo-trust\r\n"
                           "Content-Type: application/fhir+json\r\nContent-Length: 100000000\r\n\r\n{"));
    auto reply = raw.read_until_closed(std::chrono::seconds(5));
    EXPECT_TRUE(reply.closed_by_peer);
    EXPECT_TRUE(raw.received().starts_with("HTTP/1.1 413")) << raw.received();

    // Chunked, so no length is declared: the limit stops the read itself.
    HttpClient chunked = gw.client();
    Request big;
    big.method = "POST";
    big.target = "/fhir";
    big.headers = {{"Authorization", bearer("demo-trust")}, {"Content-Type", "application/fhir+json"},
                   {"Transfer-Encoding", "chunked"}};
    const std::string payload(300 * 1024, ' ');
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", payload.size());
    big.body = std::string(size_line) + payload + "\r\n0\r\n\r\n";
    expect(chunked.request(big), 413);

    auto m = c.get("/metrics").body;
    for (const char* reason : {"unauthenticated\"} 3", "forbidden\"} 1", "not_found\"} 1", "method_not_allowed\"} 1",
                               "unsupported_media_type\"} 1", "invalid_content\"} 2", "body_too_large\"} 2"})
        EXPECT_NE(m.find(std::string("reason=\"") + reason), std::string::npos) << reason << "\n" << m;
}

TEST_F(GatewayTest, ClientOverItsRateGets429) {
    RunningGateway gw(temp.path());
    auto c = gw.client();
    const Headers auth = {{"Authorization", bearer("test-throttled")}};
    unsigned throttled = 0, accepted = 0;
    std::string retry_after;
    for (int i = 0; i < 5; ++i) {
        Headers h = auth;
        h.emplace_back("Idempotency-Key", "rate-" + std::to_string(i));
        auto r = c.post("/referrals", "application/json", golden("referral.json"), h);
        if (r.status == 429) {
            ++throttled;
            retry_after = r.header("Retry-After");
        } else if (r.status == 201)
            ++accepted;
    }
    // One token per 100 s: the burst of two passes, the rest wait, however slow the machine.
    EXPECT_EQ(accepted, 2u);
    EXPECT_EQ(throttled, 3u);
    EXPECT_FALSE(retry_after.empty());
    // Other clients are not held back by one client's flood.
    EXPECT_EQ(c.get("/referrals/00000000-0000-4000-8000-000000000000", {{"Authorization", bearer("demo-trust")}}).status,
              404u);
}

TEST_F(GatewayTest, ClientCertificateSubjectMapsToItsOrganisation) {
    RunningGateway gw(temp.path());
    auto trust = gw.client("trust");
    auto posted = trust.post("/referrals", "application/json", golden("referral.json"));
    ASSERT_EQ(posted.status, 201u) << posted.body;
    // The same organisation reads it back by token; another organisation's certificate cannot.
    auto bearer_client = gw.client();
    EXPECT_EQ(bearer_client.get(posted.header("Location"), {{"Authorization", bearer("demo-trust")}}).status, 200u);
    auto council = gw.client("council");
    EXPECT_EQ(council.get(posted.header("Location")).status, 404u);

    // Certificates that must not pass as the Trust: another CA's, an expired one,
    // and a valid one the config does not map.
    for (const char* name : {"wrong-ca", "expired", "mind"}) {
        auto stranger = gw.client(name);
        auto r = stranger.post("/referrals", "application/json", golden("referral.json"));
        EXPECT_TRUE(r.error || r.status == 401u) << name << ": " << r.status;
    }
}

TEST_F(GatewayTest, CareNotesExportReportsAcceptedAndRejectedClients) {
    RunningGateway gw(temp.path());
    auto c = gw.client();
    const std::string one = golden("referral.carenotes.xml");
    // Three clients: the golden one twice (different ids) and one with a failing NHS number.
    const auto open = one.find("<Client ");
    const auto close = one.rfind("</Client>") + 9;
    ASSERT_NE(open, std::string::npos);
    std::string client = one.substr(open, close - open);
    std::string second = client;
    std::string bad = client;
    bad.replace(bad.find("9990000085"), 10, "9990000086");
    const std::string exported = one.substr(0, close) + "\n" + second + "\n" + bad + one.substr(close);
    auto r = c.post("/carenotes/exports", "application/xml", exported,
                    {{"Authorization", bearer("demo-trust")}, {"Idempotency-Key", "export-2026-11-23"}});
    ASSERT_EQ(r.status, 201u) << r.body;
    EXPECT_NE(r.body.find("\"accepted\":2"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"rejected\":1"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("Client[2]"), std::string::npos) << "the rejected client's issues name it: " << r.body;

    // The same export again: nothing new is stored.
    auto again = c.post("/carenotes/exports", "application/xml", exported,
                        {{"Authorization", bearer("demo-trust")}, {"Idempotency-Key", "export-2026-11-23"}});
    EXPECT_NE(again.body.find("\"duplicates\":2"), std::string::npos) << again.body;
    gw.stop();
    EXPECT_EQ(count_messages(gw.store_dir), 2u);
}

TEST_F(GatewayTest, TranslateStoresNothing) {
    RunningGateway gw(temp.path());
    auto c = gw.client();
    auto r = c.post("/translate?from=fhir&to=carenotes", "application/fhir+json", golden("referral.fhir.json"),
                    {{"Authorization", bearer("demo-mind")}});
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/xml");
    EXPECT_NE(r.body.find("<CareNotesExport"), std::string::npos);
    gw.stop();
    EXPECT_EQ(count_messages(gw.store_dir), 0u);
}

TEST_F(GatewayTest, SlowClientIsCutOff) {
    GatewayLimits limits;
    limits.read_timeout_ms = 500;
    RunningGateway gw(temp.path(), limits);
    RawConnection slow(gw.address(), gw.tls());
    ASSERT_FALSE(slow.connect());
    // A header dribbled a byte every 100 ms would take 8 s; the gateway stops waiting.
    const auto sent = slow.write_slowly(
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
        std::chrono::milliseconds(100));
    EXPECT_TRUE(sent.closed_by_peer || slow.read_until_closed(std::chrono::seconds(5)).closed_by_peer);
    auto c = gw.client();
    EXPECT_NE(c.get("/metrics").body.find("reason=\"read_timeout\"} 1"), std::string::npos);
}

TEST_F(GatewayTest, TwoHundredConcurrentClientsAreAllStored) {
    RunningGateway gw(temp.path());
    constexpr int clients = 200;
    std::vector<std::thread> threads;
    std::vector<std::string> locations(clients);
    std::vector<unsigned> statuses(clients, 0);
    const std::string body = golden("referral.json");
    for (int i = 0; i < clients; ++i) {
        threads.emplace_back([&, i] {
            HttpClient c(gw.address(), gw.tls(), std::chrono::seconds(60));
            auto r = c.post("/referrals", "application/json", body,
                            {{"Authorization", bearer("demo-trust")}, {"Idempotency-Key", "c-" + std::to_string(i)}});
            statuses[i] = r.status;
            locations[i] = r.header("Location");
        });
    }
    for (auto& t : threads) t.join();
    std::set<std::string> distinct;
    for (int i = 0; i < clients; ++i) {
        EXPECT_EQ(statuses[i], 201u) << "client " << i;
        distinct.insert(locations[i]);
    }
    EXPECT_EQ(distinct.size(), static_cast<std::size_t>(clients));
    gw.stop();
    EXPECT_EQ(count_messages(gw.store_dir), static_cast<std::size_t>(clients));
    // Two hundred connections at once still make one consistent, verifiable audit log.
    const std::string verify = std::string(CAREBRIDGE_BINARY) + " audit verify --config " + gw.config_file.string() +
                               " --data " + gw.store_dir.string() + " > /dev/null 2>&1";
    EXPECT_EQ(std::system(verify.c_str()), 0);
}

TEST_F(GatewayTest, DrainFinishesRequestsInFlight) {
    RunningGateway gw(temp.path());
    std::atomic<bool> go{true};
    std::atomic<int> acks{0};
    std::vector<std::thread> threads;
    std::vector<std::vector<std::string>> acknowledged(8);
    const std::string body = golden("referral.json");
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            HttpClient c(gw.address(), gw.tls(), std::chrono::seconds(20));
            for (int i = 0; go && i < 10000; ++i) {
                auto r = c.post("/referrals", "application/json", body,
                                {{"Authorization", bearer("demo-trust")},
                                 {"Idempotency-Key", std::to_string(t) + "-" + std::to_string(i)}});
                if (r.error) break;  // the listener is gone
                if (r.status == 201) {
                    acknowledged[t].push_back(r.header("Location"));
                    ++acks;
                } else {
                    EXPECT_EQ(r.status, 503u) << r.body;
                }
            }
        });
    }
    // Drain once the load is under way (a failure guard, not a timing: 30 s).
    for (int waited = 0; acks < 16 && waited < 3000; ++waited)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(gw.stop(), 0);
    go = false;
    for (auto& t : threads) t.join();
    std::size_t total = 0;
    for (const auto& a : acknowledged) total += a.size();
    EXPECT_GT(total, 0u);
    EXPECT_EQ(count_messages(gw.store_dir), total) << "every 201 is stored, and nothing else";
}

}  // namespace
}  // namespace carebridge::testing
