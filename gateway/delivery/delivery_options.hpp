#pragma once
// How the delivery worker pushes outbox items to partners' endpoints.
//
//   option                     default   meaning
//   max_attempts               12        push attempts before an item is dead-lettered
//   backoff_base               2 s       ceiling of the wait after the first failed attempt
//   backoff_cap                30 min    the ceiling never grows past this
//   dead_letter_client_errors  true      a 4xx other than 408 and 429 dead-letters at once
//   max_recipients_in_flight   8         recipients pushed to at once (one item each)
//   resolve_timeout            5 s       DNS look-up of the endpoint's host
//   connect_timeout            5 s       TCP connect
//   handshake_timeout          10 s      TLS handshake
//   write_timeout              15 s      sending the request
//   response_timeout           30 s      the partner's whole response, from the last byte sent
//   max_response_bytes         64 KiB    a partner's reply is read and discarded; cap it
//   idle_poll                  5 s       longest sleep without wake(): catches rows another writer queued
//
// The wait after the n-th failed attempt is "full jitter": uniform in
// [0, min(backoff_cap, backoff_base * 2^(n-1))], so partners coming back up
// are not hit by every gateway's retries in the same second. A Retry-After
// the partner sends (seconds) raises the wait to at least that, within the cap.
//
// Why a 4xx dead-letters at once: the partner understood the request and
// refused it (bad document, bad token, wrong path); sending the same bytes
// again cannot change its mind, and a dead letter is visible to an admin at
// once instead of after hours of retries. 408 and 429 ask for a retry.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string_view>

namespace carebridge::gateway::delivery {

struct DeliveryOptions {
    unsigned max_attempts = 12;
    std::chrono::milliseconds backoff_base{2'000};
    std::chrono::milliseconds backoff_cap{30 * 60 * 1'000};
    bool dead_letter_client_errors = true;
    std::size_t max_recipients_in_flight = 8;

    std::chrono::milliseconds resolve_timeout{5'000};
    std::chrono::milliseconds connect_timeout{5'000};
    std::chrono::milliseconds handshake_timeout{10'000};
    std::chrono::milliseconds write_timeout{15'000};
    std::chrono::milliseconds response_timeout{30'000};
    std::size_t max_response_bytes = 64 * 1024;
    std::chrono::milliseconds idle_poll{5'000};

    // Behaviour is a parameter: tests inject a clock and a jitter source.
    std::function<std::chrono::system_clock::time_point()> clock;  // empty: system_clock::now
    std::function<double()> jitter;                                // in [0, 1]; empty: uniformly random
    // The operator's log (never patient data); empty: silent.
    std::function<void(std::string_view line)> log;
};

}  // namespace carebridge::gateway::delivery
