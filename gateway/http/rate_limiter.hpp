#pragma once
// Per-client request rate: a token bucket per API client or certificate, so
// one misbehaving system cannot starve the partnership's others.

#include <array>
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace carebridge::gateway::http {

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    // Takes one token from `client`'s bucket (refilled at `rate_per_second`,
    // holding at most `burst`). False when the bucket is empty: answer 429.
    // `retry_after` is then how long until a token is back.
    bool admit(std::string_view client, double rate_per_second, double burst, Clock::time_point now,
               std::chrono::milliseconds& retry_after);

private:
    struct Bucket {
        double tokens = 0;
        Clock::time_point refilled;
    };
    // Sharded so the worker threads rarely meet on one lock.
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string, Bucket> buckets;
    };
    std::array<Shard, 16> shards_;
};

}  // namespace carebridge::gateway::http
