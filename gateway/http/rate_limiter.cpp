#include "http/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace carebridge::gateway::http {

bool RateLimiter::admit(std::string_view client, double rate_per_second, double burst, Clock::time_point now,
                        std::chrono::milliseconds& retry_after) {
    if (rate_per_second <= 0) return true;  // no limit configured
    burst = std::max(burst, 1.0);
    Shard& shard = shards_[std::hash<std::string_view>{}(client) % shards_.size()];
    std::lock_guard lock(shard.mutex);
    auto found = shard.buckets.find(std::string(client));
    if (found == shard.buckets.end()) found = shard.buckets.emplace(std::string(client), Bucket{burst, now}).first;
    Bucket& bucket = found->second;
    const double elapsed = std::chrono::duration<double>(now - bucket.refilled).count();
    if (elapsed > 0) {
        bucket.tokens = std::min(burst, bucket.tokens + elapsed * rate_per_second);
        bucket.refilled = now;
    }
    if (bucket.tokens >= 1.0) {
        bucket.tokens -= 1.0;
        return true;
    }
    const double wait = (1.0 - bucket.tokens) / rate_per_second;
    retry_after = std::chrono::milliseconds(static_cast<long>(std::ceil(wait * 1000.0)));
    return false;
}

}  // namespace carebridge::gateway::http
