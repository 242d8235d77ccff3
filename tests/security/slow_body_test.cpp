// Issue 15 item 7 against the real server over TLS on 127.0.0.1: a body that
// arrives slower than limits.min_body_bytes_per_second, averaged over
// limits.body_rate_window_ms, is cut with 408 and a closed connection long
// before its declared size's allowance ends; a body at a normal rate is read.
// The window is short here (1 s) so the test is fast; the mechanism is the same.
#include <gtest/gtest.h>

#include <thread>

#include "support/gateway_fixture.hpp"

namespace carebridge::testing {
namespace {

using namespace std::chrono_literals;

GatewayLimits short_window() {
    GatewayLimits limits;
    limits.read_timeout_ms = 60000;  // the whole-body allowance is far away: only the rate can cut
    limits.min_body_bytes_per_second = 4096;
    limits.body_rate_window_ms = 1000;
    return limits;
}

std::string demo_referral() {
    return read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "config/demo-referral.json");
}

TEST(SlowBody, ADribbledBodyIsCutWith408AndTheConnectionClosed) {
    TempDir temp;
    RunningGateway gw(temp.path(), short_window());
    ASSERT_TRUE(gw.server);
    RawConnection raw(gw.address(), gw.tls());
    ASSERT_FALSE(raw.connect());
    // 200,000 bytes declared (about 4 minutes' allowance); a few bytes a second sent.
    ASSERT_FALSE(raw.write("POST /fhir HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer("demo-trust") +
                           "\r\nContent-Type: application/fhir+json\r\nContent-Length: 200000\r\n\r\n{"));
    const auto started = std::chrono::steady_clock::now();
    raw.write_slowly(std::string(40, ' '), 250ms);
    raw.read_until_closed(10s);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_TRUE(raw.closed_by_peer()) << raw.received();
    EXPECT_TRUE(raw.received().starts_with("HTTP/1.1 408")) << raw.received();
    EXPECT_NE(raw.received().find("OperationOutcome"), std::string::npos) << raw.received();
    EXPECT_LT(took, 5s) << "cut after about one window";
    RawConnection metrics(gw.address(), gw.tls());
    ASSERT_FALSE(metrics.connect());
    ASSERT_FALSE(metrics.write("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    metrics.read_until_closed(5s);
    EXPECT_NE(metrics.received().find("reason=\"body_too_slow\"} 1"), std::string::npos) << metrics.received();
}

TEST(SlowBody, ADribbledChunkedBodyIsCutToo) {
    TempDir temp;
    RunningGateway gw(temp.path(), short_window());
    ASSERT_TRUE(gw.server);
    RawConnection raw(gw.address(), gw.tls());
    ASSERT_FALSE(raw.connect());
    ASSERT_FALSE(raw.write("POST /fhir HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer("demo-trust") +
                           "\r\nContent-Type: application/fhir+json\r\nTransfer-Encoding: chunked\r\n\r\n"));
    std::string dribble;
    for (int i = 0; i < 20; ++i) dribble += "1\r\n \r\n";
    raw.write_slowly(dribble, 100ms);
    raw.read_until_closed(10s);
    EXPECT_TRUE(raw.closed_by_peer()) << raw.received();
    EXPECT_TRUE(raw.received().starts_with("HTTP/1.1 408")) << raw.received();
}

TEST(SlowBody, AnExportDribbledToDiskIsCutToo) {
    TempDir temp;
    RunningGateway gw(temp.path(), short_window());
    ASSERT_TRUE(gw.server);
    RawConnection raw(gw.address(), gw.tls());
    ASSERT_FALSE(raw.connect());
    ASSERT_FALSE(raw.write("POST /carenotes/exports HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer("demo-trust") +
                           "\r\nContent-Type: application/xml\r\nContent-Length: 1000000\r\n\r\n<"));
    raw.write_slowly(std::string(40, ' '), 250ms);
    raw.read_until_closed(10s);
    EXPECT_TRUE(raw.closed_by_peer()) << raw.received();
    EXPECT_TRUE(raw.received().starts_with("HTTP/1.1 408")) << raw.received();
}

TEST(SlowBody, ABodyAtANormalRateAcrossSeveralWindowsIsRead) {
    TempDir temp;
    RunningGateway gw(temp.path(), short_window());
    ASSERT_TRUE(gw.server);
    const std::string body = demo_referral();
    RawConnection raw(gw.address(), gw.tls());
    ASSERT_FALSE(raw.connect());
    ASSERT_FALSE(raw.write("POST /fhir HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer("demo-trust") +
                           "\r\nContent-Type: application/fhir+json\r\nConnection: close\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n"));
    // Pieces of 8 KB every 400 ms: 20 KB/s, above the 4 KB/s minimum, over more than one window.
    for (std::size_t at = 0; at < body.size(); at += 8192) {
        ASSERT_FALSE(raw.write(std::string_view(body).substr(at, 8192)));
        std::this_thread::sleep_for(400ms);
    }
    raw.read_until_closed(10s);
    EXPECT_TRUE(raw.received().starts_with("HTTP/1.1 201")) << raw.received();
}

TEST(SlowBody, ASmallBodySentAtOnceIsNotCut) {
    TempDir temp;
    GatewayLimits limits = short_window();
    limits.min_body_bytes_per_second = 1 << 30;  // no window could be met by a referral's few KB
    RunningGateway gw(temp.path(), limits);
    ASSERT_TRUE(gw.server);
    const std::string body = demo_referral();
    RawConnection raw(gw.address(), gw.tls());
    ASSERT_FALSE(raw.connect());
    ASSERT_FALSE(raw.write("POST /fhir HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer("demo-trust") +
                           "\r\nContent-Type: application/fhir+json\r\nConnection: close\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body));
    raw.read_until_closed(10s);
    EXPECT_TRUE(raw.received().starts_with("HTTP/1.1 201")) << raw.received();
}

}  // namespace
}  // namespace carebridge::testing
