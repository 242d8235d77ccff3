#pragma once
// A partner's webhook for the delivery tests: HTTPS on 127.0.0.1 port 0 with
// the test PKI's server certificate, on its own thread. It records every
// request that arrives whole and answers as told: accept (200), fail (500),
// refuse (400), never answer, drop the connection, or accept and then never
// answer (the partner stored it, the reply was lost: what a retry repeats).
//
// deliveries() is what a receiver that deduplicates on Idempotency-Key
// keeps: each key once, in the order first accepted. received() is every
// request on the wire, repeats included.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/test_pki.hpp"

namespace carebridge::testing {

enum class PartnerBehaviour {
    accept,            // store it (once per key) and answer 200
    fail,              // answer 500
    refuse,            // answer 400
    never_answer,      // read the request, then hold the connection silently
    drop,              // read the request, then close the connection without a reply
    accept_then_hang,  // store it, then hold the connection silently
};

struct ReceivedPush {
    std::string target;
    std::string idempotency_key;
    std::string referral_id;  // Carebridge-Referral-Id: the gateway's id, for posting status
    std::string content_type;
    std::string authorization;
    std::string body;
    std::string client_subject;  // RFC 2253, when a client certificate was presented
    PartnerBehaviour answered = PartnerBehaviour::accept;
};

class FakePartner {
public:
    // Listens at once. With `require_client_certificate` the handshake needs
    // a certificate from the test CA.
    explicit FakePartner(const TestPki& pki, PartnerBehaviour behaviour = PartnerBehaviour::accept,
                         bool require_client_certificate = false);
    ~FakePartner();
    FakePartner(const FakePartner&) = delete;
    FakePartner& operator=(const FakePartner&) = delete;

    std::uint16_t port() const { return port_; }
    std::string url(std::string_view path = "/referrals") const;

    void set_behaviour(PartnerBehaviour behaviour);
    // The answer to the n-th request (1-based), instead of the fixed behaviour.
    void set_script(std::function<PartnerBehaviour(std::size_t n)> script);

    std::vector<ReceivedPush> received() const;
    std::size_t request_count() const;
    std::vector<std::string> deliveries() const;  // Idempotency-Keys accepted, each once, in order
    std::vector<ReceivedPush> delivered() const;  // the requests behind deliveries()

    // Wait until that many requests or deliveries have arrived; false when
    // `timeout` passes first (a generous bound, not a measurement).
    bool wait_for_requests(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(20));
    bool wait_for_deliveries(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(20));

    // Internal: what the server's connections call.
    PartnerBehaviour record(ReceivedPush push);

private:
    struct Server;
    std::unique_ptr<Server> server_;
    std::uint16_t port_ = 0;

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    PartnerBehaviour behaviour_;
    std::function<PartnerBehaviour(std::size_t)> script_;
    std::vector<ReceivedPush> received_;
    std::vector<ReceivedPush> delivered_;
};

}  // namespace carebridge::testing
