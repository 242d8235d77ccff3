// The retry schedule and the verdict on an attempt, without a clock or a
// network: exponential backoff with full jitter, capped; which answers are
// retried and which dead-letter; the update and audit events an attempt
// records; and the endpoint URLs the push client accepts.

#include <gtest/gtest.h>

#include "delivery/push_endpoint.hpp"
#include "delivery/retry_policy.hpp"

namespace carebridge::gateway::delivery {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

DeliveryOptions schedule(milliseconds base, milliseconds cap, unsigned max_attempts = 5) {
    DeliveryOptions options;
    options.backoff_base = base;
    options.backoff_cap = cap;
    options.max_attempts = max_attempts;
    return options;
}

AttemptResult answered(unsigned status) {
    AttemptResult r;
    r.http_status = status;
    return r;
}

AttemptResult transport_failure(std::string why) {
    AttemptResult r;
    r.failure = std::move(why);
    return r;
}

store::OutboxItem pending_item(unsigned attempts) {
    store::OutboxItem item;
    item.id = "0f8e7d6c-0000-4000-8000-000000000001";
    item.message_id = "00000000-0000-4000-8000-000000000001";
    item.recipient = "befriend";
    item.recipient_ods = "DBF01";
    item.patient = "9990000085";
    item.referral_id = "R1";
    item.attempts = attempts;
    return item;
}

TEST(Backoff, TheCeilingDoublesFromTheBaseAndStopsAtTheCap) {
    const auto options = schedule(milliseconds(100), milliseconds(1000));
    EXPECT_EQ(backoff_ceiling(1, options), milliseconds(100));
    EXPECT_EQ(backoff_ceiling(2, options), milliseconds(200));
    EXPECT_EQ(backoff_ceiling(3, options), milliseconds(400));
    EXPECT_EQ(backoff_ceiling(4, options), milliseconds(800));
    EXPECT_EQ(backoff_ceiling(5, options), milliseconds(1000));
    EXPECT_EQ(backoff_ceiling(1000, options), milliseconds(1000));  // no overflow however many attempts
}

TEST(Backoff, FullJitterSpreadsTheWaitOverZeroToTheCeiling) {
    const auto options = schedule(milliseconds(100), milliseconds(1000));
    EXPECT_EQ(backoff_delay(3, 0.0, options), milliseconds(0));
    EXPECT_EQ(backoff_delay(3, 0.25, options), milliseconds(100));
    EXPECT_EQ(backoff_delay(3, 1.0, options), milliseconds(400));
    EXPECT_EQ(backoff_delay(9, 0.5, options), milliseconds(500));
    // A jitter source out of range cannot push the wait past the ceiling or below zero.
    EXPECT_EQ(backoff_delay(3, 7.0, options), milliseconds(400));
    EXPECT_EQ(backoff_delay(3, -1.0, options), milliseconds(0));
}

TEST(Backoff, APartnersRetryAfterRaisesTheWaitWithinTheCap) {
    const auto options = schedule(milliseconds(100), milliseconds(5000));
    EXPECT_EQ(backoff_delay(1, 0.5, options, seconds(2)), milliseconds(2000));
    EXPECT_EQ(backoff_delay(1, 0.5, options, seconds(3600)), milliseconds(5000));
    EXPECT_EQ(backoff_delay(7, 1.0, options, seconds(1)), milliseconds(5000));  // the backoff is already longer
}

TEST(Verdict, TwoHundredsDeliverRefusalsDeadLetterAndTheRestAreRetried) {
    const DeliveryOptions options;
    for (unsigned status : {200u, 201u, 202u, 204u}) EXPECT_EQ(judge(answered(status), options), Verdict::delivered);
    for (unsigned status : {400u, 401u, 403u, 404u, 409u, 413u, 415u, 422u})
        EXPECT_EQ(judge(answered(status), options), Verdict::dead) << status;
    for (unsigned status : {408u, 429u, 500u, 502u, 503u, 504u, 302u})
        EXPECT_EQ(judge(answered(status), options), Verdict::retry) << status;
    EXPECT_EQ(judge(transport_failure("connect: Connection refused"), options), Verdict::retry);

    DeliveryOptions patient = options;
    patient.dead_letter_client_errors = false;
    EXPECT_EQ(judge(answered(404), patient), Verdict::retry);
}

TEST(RecordAttempt, ADeliveryIsRecordedAsDeliveredWithItsAuditEvent) {
    const auto now = std::chrono::system_clock::time_point(seconds(1'800'000'000));
    const auto record = record_attempt(pending_item(2), answered(202), now, 0.5, schedule(seconds(1), seconds(60)));
    EXPECT_EQ(record.verdict, Verdict::delivered);
    EXPECT_EQ(record.update.state, store::OutboxState::delivered);
    EXPECT_EQ(record.update.attempts, 3u);
    ASSERT_EQ(record.update.only_from.size(), 1u);  // an acknowledgement meanwhile is not overwritten
    EXPECT_EQ(record.update.only_from[0], store::OutboxState::pending);
    ASSERT_EQ(record.events.size(), 1u);
    EXPECT_EQ(record.events[0].action, audit::AuditAction::delivered);
    EXPECT_EQ(record.events[0].recipient, "DBF01");
    EXPECT_EQ(record.events[0].patient, "9990000085");
    EXPECT_EQ(record.events[0].outcome, "success");
    EXPECT_NE(record.events[0].detail.find("\"status\":202"), std::string::npos);
}

TEST(RecordAttempt, AFailureIsScheduledAfterTheJitteredBackoff) {
    const auto now = std::chrono::system_clock::time_point(seconds(1'800'000'000));
    const auto options = schedule(seconds(1), seconds(60), 5);
    // The third failure: ceiling 4 s, jitter 0.5 → 2 s.
    const auto record = record_attempt(pending_item(2), answered(503), now, 0.5, options);
    EXPECT_EQ(record.verdict, Verdict::retry);
    EXPECT_EQ(record.update.state, store::OutboxState::pending);
    EXPECT_EQ(record.update.attempts, 3u);
    ASSERT_TRUE(record.update.next_attempt_at);
    EXPECT_EQ(*record.update.next_attempt_at, now + seconds(2));
    EXPECT_EQ(record.update.last_error, "HTTP 503");
    ASSERT_EQ(record.events.size(), 1u);
    EXPECT_EQ(record.events[0].action, audit::AuditAction::delivery_failed);
    EXPECT_EQ(record.events[0].outcome, "failed");
}

TEST(RecordAttempt, TheLastFailedAttemptDeadLetters) {
    const auto now = std::chrono::system_clock::time_point(seconds(1'800'000'000));
    const auto record =
        record_attempt(pending_item(4), transport_failure("read: timed out"), now, 0.5, schedule(seconds(1), seconds(60), 5));
    EXPECT_EQ(record.verdict, Verdict::dead);
    EXPECT_EQ(record.update.state, store::OutboxState::dead);
    EXPECT_EQ(record.update.attempts, 5u);
    EXPECT_EQ(record.update.last_error, "read: timed out");
    ASSERT_EQ(record.events.size(), 2u);
    EXPECT_EQ(record.events[0].action, audit::AuditAction::delivery_failed);
    EXPECT_EQ(record.events[1].action, audit::AuditAction::dead_lettered);
}

TEST(PushUrl, TakesHttpsAndPlainHttpWithPortsPathsAndIpv6) {
    std::string error;
    auto t = parse_push_url("https://hooks.befriend.example/carebridge?v=1", error);
    ASSERT_TRUE(t) << error;
    EXPECT_TRUE(t->tls);
    EXPECT_EQ(t->host, "hooks.befriend.example");
    EXPECT_EQ(t->port, "443");
    EXPECT_EQ(t->target, "/carebridge?v=1");

    t = parse_push_url("http://127.0.0.1:8080", error);
    ASSERT_TRUE(t) << error;
    EXPECT_FALSE(t->tls);
    EXPECT_EQ(t->port, "8080");
    EXPECT_EQ(t->target, "/");

    t = parse_push_url("https://[::1]:9443/in", error);
    ASSERT_TRUE(t) << error;
    EXPECT_EQ(t->host, "::1");
    EXPECT_EQ(t->port, "9443");
}

TEST(PushUrl, RefusesOtherSchemesCredentialsFragmentsAndBadPorts) {
    std::string error;
    for (const char* url : {"ftp://x.example/", "https://user:pw@x.example/", "https://x.example/#f", "https://:443/",
                            "https://x.example:0/", "https://x.example:70000/", "https://x.example:/", "x.example"}) {
        EXPECT_FALSE(parse_push_url(url, error)) << url;
        EXPECT_FALSE(error.empty());
    }
}

}  // namespace
}  // namespace carebridge::gateway::delivery
