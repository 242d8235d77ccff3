// The delivery worker against fake partners over real TLS on 127.0.0.1: a
// healthy partner gets each item once, in order, with its Idempotency-Key,
// bearer token and our client certificate; 500s are retried and then
// dead-lettered; a 400 dead-letters at once; a timeout and a dropped
// connection are retried; a failing partner does not hold up a healthy one;
// and a worker stopped mid-delivery with the store closed and reopened
// loses nothing and delivers nothing twice to a receiver that deduplicates.

#include <gtest/gtest.h>
#include <stdlib.h>

#include "delivery/delivery_worker.hpp"
#include "delivery/outbox_fixture.hpp"
#include "support/fake_partner.hpp"
#include "support/test_pki.hpp"

namespace carebridge::testing {
namespace {

using namespace std::chrono_literals;
using gateway::delivery::DeliveryOptions;
using gateway::delivery::DeliveryWorker;
using gateway::delivery::PushEndpoint;
using gateway::store::OutboxState;

class DeliveryWorkerTest : public ::testing::Test {
protected:
    void SetUp() override {
        pki = std::make_unique<TestPki>(TestPki::create((dir.path() / "pki").string()));
        s = open_outbox_store(dir.path());
        // Short waits so retries happen within the test; generous I/O timeouts
        // so a loaded machine does not turn a healthy reply into a retry.
        options.backoff_base = 20ms;
        options.backoff_cap = 100ms;
        options.max_attempts = 3;
        options.connect_timeout = 5s;
        options.handshake_timeout = 5s;
        options.write_timeout = 5s;
        options.response_timeout = 5s;
        options.idle_poll = 200ms;
    }

    // Every recipient trusts the test CA; the tests that need more set `endpoint`.
    gateway::delivery::EndpointLookup lookup() {
        return [this](const store::OutboxItem&) -> std::optional<PushEndpoint> {
            PushEndpoint e = endpoint;
            e.ca_file = pki->ca_cert();
            return e;
        };
    }

    std::unique_ptr<DeliveryWorker> start_worker() {
        auto worker = std::make_unique<DeliveryWorker>(*s, options, lookup());
        std::string error;
        EXPECT_TRUE(worker->start(error)) << error;
        return worker;
    }

    // Message n with one copy for `recipient` at `url`; the row's id and key.
    std::pair<std::string, std::string> queue(int n, const std::string& recipient, const std::string& url) {
        const auto m = message_numbered(n);
        const auto id = queue_message(*s, m, {item_for(m, recipient, url)}).at(0);
        std::error_code error;
        return {id, s->find_outbox_item(id, error)->idempotency_key};
    }

    bool all_in_state(const std::string& recipient, std::size_t count, OutboxState state) {
        return eventually([&] { return items_of(*s, recipient, state).size() == count; });
    }

    TempDir dir;
    std::unique_ptr<TestPki> pki;
    std::unique_ptr<store::Store> s;
    DeliveryOptions options;
    PushEndpoint endpoint;
};

TEST_F(DeliveryWorkerTest, AHealthyPartnerGetsEachItemOnceInOrderWithItsHeaders) {
    FakePartner partner(*pki, PartnerBehaviour::accept, /*require_client_certificate=*/true);
    ::setenv("CAREBRIDGE_TEST_BEFRIEND_TOKEN", "befriend-webhook-token", 1);
    endpoint.bearer_token_env = "CAREBRIDGE_TEST_BEFRIEND_TOKEN";
    endpoint.client_certificate_file = pki->client_cert("council");
    endpoint.client_key_file = pki->client_key("council");

    std::vector<std::string> keys;
    for (int n = 1; n <= 6; ++n) keys.push_back(queue(n, "befriend", partner.url("/carebridge/in")).second);
    auto worker = start_worker();  // resumes what was queued before it started
    ASSERT_TRUE(partner.wait_for_deliveries(6));
    // Queued while it runs, and announced with wake().
    for (int n = 7; n <= 9; ++n) keys.push_back(queue(n, "befriend", partner.url("/carebridge/in")).second);
    worker->wake();
    ASSERT_TRUE(all_in_state("befriend", 9, OutboxState::delivered));

    EXPECT_EQ(partner.deliveries(), keys);  // in order
    const auto received = partner.received();
    ASSERT_EQ(received.size(), 9u);  // and each exactly once on the wire
    for (std::size_t i = 0; i < received.size(); ++i) {
        EXPECT_EQ(received[i].target, "/carebridge/in");
        EXPECT_EQ(received[i].content_type, "application/vnd.carebridge.referral+json");
        EXPECT_EQ(received[i].authorization, "Bearer befriend-webhook-token");
        EXPECT_EQ(received[i].client_subject, council_subject);
        EXPECT_EQ(received[i].body, R"({"for":"befriend","referral":"R)" + std::to_string(i + 1) + R"("})");
    }
    for (const auto& item : items_of(*s, "befriend")) EXPECT_EQ(item.attempts, 1u);
    worker->stop();  // after which every committed result is counted
    EXPECT_EQ(worker->counts().delivered, 9u);

    gateway::audit::AuditQuery query;
    query.actions = {gateway::audit::AuditAction::delivered};
    std::error_code error;
    EXPECT_EQ(s->find_audit_entries(query, error).size(), 9u);
    ::unsetenv("CAREBRIDGE_TEST_BEFRIEND_TOKEN");
}

TEST_F(DeliveryWorkerTest, FiveHundredsAreRetriedThenDeadLetteredOneItemAtATime) {
    FakePartner partner(*pki, PartnerBehaviour::fail);
    const auto first = queue(1, "befriend", partner.url());
    const auto second = queue(2, "befriend", partner.url());
    auto worker = start_worker();
    ASSERT_TRUE(all_in_state("befriend", 2, OutboxState::dead));
    worker->stop();

    // Three attempts each, and the second item only after the first gave up.
    std::vector<std::string> keys;
    for (const auto& r : partner.received()) keys.push_back(r.idempotency_key);
    EXPECT_EQ(keys, (std::vector<std::string>{first.second, first.second, first.second, second.second, second.second,
                                              second.second}));
    for (const auto& item : items_of(*s, "befriend")) {
        EXPECT_EQ(item.attempts, 3u);
        EXPECT_EQ(item.last_error, "HTTP 500");
    }
    EXPECT_TRUE(partner.deliveries().empty());
    EXPECT_EQ(worker->counts().dead_lettered, 2u);
}

TEST_F(DeliveryWorkerTest, ARefusalDeadLettersAtOnce) {
    FakePartner partner(*pki, PartnerBehaviour::refuse);
    queue(1, "befriend", partner.url());
    auto worker = start_worker();
    ASSERT_TRUE(all_in_state("befriend", 1, OutboxState::dead));
    worker->stop();
    EXPECT_EQ(partner.request_count(), 1u);
    EXPECT_EQ(items_of(*s, "befriend")[0].last_error, "HTTP 400");
}

TEST_F(DeliveryWorkerTest, ATimeoutAndADroppedConnectionAreRetried) {
    options.response_timeout = 300ms;  // the silent partner's first answer never comes
    FakePartner silent_once(*pki);
    silent_once.set_script([](std::size_t n) { return n == 1 ? PartnerBehaviour::never_answer : PartnerBehaviour::accept; });
    FakePartner drops_once(*pki);
    drops_once.set_script([](std::size_t n) { return n == 1 ? PartnerBehaviour::drop : PartnerBehaviour::accept; });
    const auto to_silent = queue(1, "befriend", silent_once.url());
    const auto to_dropper = queue(2, "mind", drops_once.url());
    auto worker = start_worker();
    ASSERT_TRUE(all_in_state("befriend", 1, OutboxState::delivered));
    ASSERT_TRUE(all_in_state("mind", 1, OutboxState::delivered));
    worker->stop();

    ASSERT_EQ(silent_once.request_count(), 2u);
    EXPECT_EQ(silent_once.received()[0].idempotency_key, silent_once.received()[1].idempotency_key);
    EXPECT_EQ(silent_once.deliveries(), std::vector<std::string>{to_silent.second});
    ASSERT_EQ(drops_once.request_count(), 2u);
    EXPECT_EQ(drops_once.deliveries(), std::vector<std::string>{to_dropper.second});
    EXPECT_EQ(items_of(*s, "befriend")[0].attempts, 2u);
    EXPECT_EQ(items_of(*s, "mind")[0].attempts, 2u);
    EXPECT_TRUE(items_of(*s, "mind")[0].last_error.empty());  // cleared by the delivery
}

TEST_F(DeliveryWorkerTest, AFailingPartnerDoesNotHoldUpAHealthyOne) {
    options.response_timeout = 500ms;
    options.max_attempts = 1000;  // the failing partner's head stays pending throughout
    FakePartner stuck(*pki, PartnerBehaviour::never_answer);
    FakePartner healthy(*pki);
    std::vector<std::string> healthy_keys;
    std::string stuck_head;
    for (int n = 1; n <= 8; ++n) {
        if (n % 2) {
            const auto queued = queue(n, "mind", stuck.url());
            if (stuck_head.empty()) stuck_head = queued.second;
        } else {
            healthy_keys.push_back(queue(n, "befriend", healthy.url()).second);
        }
    }
    auto worker = start_worker();
    ASSERT_TRUE(stuck.wait_for_requests(1));  // its head is in flight, and will never be answered
    ASSERT_TRUE(all_in_state("befriend", 4, OutboxState::delivered));
    EXPECT_EQ(healthy.deliveries(), healthy_keys);
    worker->stop();

    // Meanwhile the stuck partner only ever saw its first item, again and again.
    for (const auto& r : stuck.received()) EXPECT_EQ(r.idempotency_key, stuck_head);
    EXPECT_EQ(items_of(*s, "mind", OutboxState::pending).size(), 4u);
}

TEST_F(DeliveryWorkerTest, AWorkerStoppedMidDeliveryResumesWithoutLossOrDuplicates) {
    options.response_timeout = 30s;  // the third reply is lost: the worker is stopped while it waits
    FakePartner partner(*pki);
    // The partner stores the third item but its reply never leaves: a crash between the two.
    partner.set_script(
        [](std::size_t n) { return n == 3 ? PartnerBehaviour::accept_then_hang : PartnerBehaviour::accept; });
    std::vector<std::string> keys;
    for (int n = 1; n <= 5; ++n) keys.push_back(queue(n, "befriend", partner.url()).second);

    auto worker = start_worker();
    ASSERT_TRUE(partner.wait_for_requests(3));
    worker->stop();
    worker.reset();
    s->close();
    s.reset();

    // What the outbox holds is all a restarted gateway has: two delivered, three pending.
    s = open_outbox_store(dir.path());
    EXPECT_EQ(items_of(*s, "befriend", OutboxState::delivered).size(), 2u);
    EXPECT_EQ(items_of(*s, "befriend", OutboxState::pending).size(), 3u);
    worker = start_worker();
    ASSERT_TRUE(all_in_state("befriend", 5, OutboxState::delivered));
    worker->stop();

    // The third went out twice under one key; the receiver kept each once, in order.
    std::vector<std::string> wire;
    for (const auto& r : partner.received()) wire.push_back(r.idempotency_key);
    EXPECT_EQ(wire, (std::vector<std::string>{keys[0], keys[1], keys[2], keys[2], keys[3], keys[4]}));
    EXPECT_EQ(partner.deliveries(), keys);
}

TEST_F(DeliveryWorkerTest, PlainHttpIsRefusedUnlessTheEndpointAllowsIt) {
    options.max_attempts = 1;
    queue(1, "befriend", "http://127.0.0.1:9/in");
    auto worker = start_worker();
    ASSERT_TRUE(all_in_state("befriend", 1, OutboxState::dead));
    worker->stop();
    EXPECT_NE(items_of(*s, "befriend")[0].last_error.find("plain http"), std::string::npos)
        << items_of(*s, "befriend")[0].last_error;
}

}  // namespace
}  // namespace carebridge::testing
