#pragma once
// The gateway's figures for Prometheus (/metrics, text format 0.0.4): requests
// by route and status, rejections by reason, request latency, store commit
// time, open connections. Lock-free counters: every request touches them.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace carebridge::gateway::http {

// The routes the gateway serves, as the metrics and access log name them.
enum class RouteId {
    fhir_bundle,
    fhir_resource,
    carenotes_export,
    referral_post,
    referral_get,
    translate,
    healthz,
    readyz,
    metrics,
    partners,  // /partners/{org}/inbox…: a partner's pull inbox
    admin,     // /admin/dead-letters…
    audit,     // /audit/…: the audit log's read API
    ui,        // /ui/audit…: the auditor's page (static files)
    status,    // /referrals/{id}/status and /history: a referral's status and history
    unmatched,
};
inline constexpr std::size_t route_count = 15;
std::string_view to_string(RouteId route);

// Every way a request or connection is turned away has its own counter.
enum class Rejection {
    malformed,               // 400: not HTTP, not JSON/XML
    unauthenticated,         // 401
    forbidden,               // 403
    not_found,               // 404
    method_not_allowed,      // 405
    not_acceptable,          // 406
    body_too_large,          // 413
    header_too_large,        // 431
    unsupported_media_type,  // 415
    invalid_content,         // 422
    rate_limited,            // 429
    store_unavailable,       // 503: store down or its queue full
    draining,                // 503: shutting down
    read_timeout,            // a request did not arrive whole in time
    body_too_slow,           // 408: a body fell below limits.min_body_bytes_per_second
    connection_limit,        // over max_connections
    tls_handshake,           // handshake failed or no acceptable client certificate
    not_routable,            // 422: a closed or paused service, no route, or no recipient allowed
    cannot_check,            // 503: credentials could not be checked (a crypto failure) or no endpoint table
    upload_io,               // 503: an export's body could not be written to disk or read back (full, quota, I/O)
};
// Counted from the last reason, so a new one cannot be left without a counter.
inline constexpr std::size_t rejection_count = static_cast<std::size_t>(Rejection::upload_io) + 1;
std::string_view to_string(Rejection reason);

class Metrics {
public:
    static constexpr std::array<double, 14> latency_buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                               0.1,    0.25,  0.5,    1,     2.5,   5,    10};

    void count_request(RouteId route, unsigned status, std::chrono::microseconds latency);
    void count_rejection(Rejection reason);
    void observe_commit(std::chrono::microseconds commit_time, std::size_t write_sets);
    void connection_opened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
    void connection_closed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
    long open_connections() const { return open_connections_.load(std::memory_order_relaxed); }
    // Red referrals escalated to their originators (status_api's escalations).
    void count_escalations(std::uint64_t n) { escalations_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t escalations() const { return escalations_.load(std::memory_order_relaxed); }
    // Referrals the directory could not route, held in the triage queue (202) instead of refused.
    void count_triaged() { triaged_.fetch_add(1, std::memory_order_relaxed); }
    std::uint64_t triaged() const { return triaged_.load(std::memory_order_relaxed); }
    std::uint64_t rejections(Rejection reason) const;
    std::uint64_t requests(RouteId route, unsigned status) const;

    std::string render() const;

private:
    struct Histogram {
        std::array<std::atomic<std::uint64_t>, latency_buckets.size()> buckets{};  // not cumulative
        std::atomic<std::uint64_t> count{0};
        std::atomic<std::uint64_t> sum_microseconds{0};
        void observe(std::chrono::microseconds value);
        void render(std::string& out, std::string_view name, std::string_view labels) const;
    };
    static constexpr unsigned min_status = 100, max_status = 599;
    std::array<std::array<std::atomic<std::uint64_t>, max_status - min_status + 1>, route_count> requests_{};
    std::array<Histogram, route_count> latency_{};
    std::array<std::atomic<std::uint64_t>, rejection_count> rejections_{};
    Histogram commit_time_;
    std::atomic<std::uint64_t> commit_write_sets_{0};
    std::atomic<long> open_connections_{0};
    std::atomic<std::uint64_t> escalations_{0};
    std::atomic<std::uint64_t> triaged_{0};
};

}  // namespace carebridge::gateway::http
