#include "http/metrics.hpp"

#include <cstdio>

namespace carebridge::gateway::http {

std::string_view to_string(RouteId route) {
    switch (route) {
        case RouteId::fhir_bundle: return "/fhir";
        case RouteId::fhir_resource: return "/fhir/{type}";
        case RouteId::carenotes_export: return "/carenotes/exports";
        case RouteId::referral_post: return "/referrals";
        case RouteId::referral_get: return "/referrals/{id}";
        case RouteId::translate: return "/translate";
        case RouteId::healthz: return "/healthz";
        case RouteId::readyz: return "/readyz";
        case RouteId::metrics: return "/metrics";
        case RouteId::partners: return "/partners/{org}/inbox";
        case RouteId::admin: return "/admin/dead-letters";
        case RouteId::audit: return "/audit";
        case RouteId::ui: return "/ui/audit";
        case RouteId::status: return "/referrals/{id}/status";
        case RouteId::unmatched: return "unmatched";
    }
    return "unmatched";
}

std::string_view to_string(Rejection reason) {
    switch (reason) {
        case Rejection::malformed: return "malformed";
        case Rejection::unauthenticated: return "unauthenticated";
        case Rejection::forbidden: return "forbidden";
        case Rejection::not_found: return "not_found";
        case Rejection::method_not_allowed: return "method_not_allowed";
        case Rejection::not_acceptable: return "not_acceptable";
        case Rejection::body_too_large: return "body_too_large";
        case Rejection::header_too_large: return "header_too_large";
        case Rejection::unsupported_media_type: return "unsupported_media_type";
        case Rejection::invalid_content: return "invalid_content";
        case Rejection::rate_limited: return "rate_limited";
        case Rejection::store_unavailable: return "store_unavailable";
        case Rejection::draining: return "draining";
        case Rejection::read_timeout: return "read_timeout";
        case Rejection::body_too_slow: return "body_too_slow";
        case Rejection::connection_limit: return "connection_limit";
        case Rejection::tls_handshake: return "tls_handshake";
        case Rejection::not_routable: return "not_routable";
        case Rejection::cannot_check: return "cannot_check";
        case Rejection::upload_io: return "upload_io";
    }
    return "unknown";
}

void Metrics::Histogram::observe(std::chrono::microseconds value) {
    const double seconds = static_cast<double>(value.count()) / 1e6;
    for (std::size_t i = 0; i < latency_buckets.size(); ++i) {
        if (seconds <= latency_buckets[i]) {
            buckets[i].fetch_add(1, std::memory_order_relaxed);
            break;
        }
    }
    count.fetch_add(1, std::memory_order_relaxed);
    sum_microseconds.fetch_add(static_cast<std::uint64_t>(value.count()), std::memory_order_relaxed);
}

namespace {

void append_number(std::string& out, double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", value);
    out += text;
}

void append_labelled(std::string& out, std::string_view name, std::string_view labels, std::uint64_t value) {
    out += name;
    if (!labels.empty()) {
        out += '{';
        out += labels;
        out += '}';
    }
    out += ' ';
    out += std::to_string(value);
    out += '\n';
}

}  // namespace

void Metrics::Histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
    std::uint64_t cumulative = 0;
    const std::string prefix = labels.empty() ? std::string() : std::string(labels) + ",";
    for (std::size_t i = 0; i < latency_buckets.size(); ++i) {
        cumulative += buckets[i].load(std::memory_order_relaxed);
        std::string bucket_labels = prefix + "le=\"";
        append_number(bucket_labels, latency_buckets[i]);
        bucket_labels += '"';
        append_labelled(out, std::string(name) + "_bucket", bucket_labels, cumulative);
    }
    const std::uint64_t total = count.load(std::memory_order_relaxed);
    append_labelled(out, std::string(name) + "_bucket", prefix + "le=\"+Inf\"", total);
    out += name;
    out += "_sum";
    if (!labels.empty()) {
        out += '{';
        out += labels;
        out += '}';
    }
    out += ' ';
    append_number(out, static_cast<double>(sum_microseconds.load(std::memory_order_relaxed)) / 1e6);
    out += '\n';
    append_labelled(out, std::string(name) + "_count", labels, total);
}

void Metrics::count_request(RouteId route, unsigned status, std::chrono::microseconds latency) {
    const auto r = static_cast<std::size_t>(route);
    if (status < min_status || status > max_status) status = 500;
    requests_[r][status - min_status].fetch_add(1, std::memory_order_relaxed);
    latency_[r].observe(latency);
}

void Metrics::count_rejection(Rejection reason) {
    rejections_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::observe_commit(std::chrono::microseconds commit_time, std::size_t write_sets) {
    commit_time_.observe(commit_time);
    commit_write_sets_.fetch_add(write_sets, std::memory_order_relaxed);
}

std::uint64_t Metrics::rejections(Rejection reason) const {
    return rejections_[static_cast<std::size_t>(reason)].load(std::memory_order_relaxed);
}

std::uint64_t Metrics::requests(RouteId route, unsigned status) const {
    if (status < min_status || status > max_status) return 0;
    return requests_[static_cast<std::size_t>(route)][status - min_status].load(std::memory_order_relaxed);
}

std::string Metrics::render() const {
    std::string out;
    out.reserve(8192);
    out += "# HELP carebridge_http_requests_total Requests answered, by route and status.\n"
           "# TYPE carebridge_http_requests_total counter\n";
    for (std::size_t r = 0; r < route_count; ++r) {
        for (unsigned s = min_status; s <= max_status; ++s) {
            const std::uint64_t n = requests_[r][s - min_status].load(std::memory_order_relaxed);
            if (n == 0) continue;
            append_labelled(out, "carebridge_http_requests_total",
                            "route=\"" + std::string(to_string(static_cast<RouteId>(r))) + "\",status=\"" +
                                std::to_string(s) + "\"",
                            n);
        }
    }
    out += "# HELP carebridge_rejections_total Requests and connections turned away, by reason.\n"
           "# TYPE carebridge_rejections_total counter\n";
    for (std::size_t i = 0; i < rejection_count; ++i)
        append_labelled(out, "carebridge_rejections_total",
                        "reason=\"" + std::string(to_string(static_cast<Rejection>(i))) + "\"",
                        rejections_[i].load(std::memory_order_relaxed));
    out += "# HELP carebridge_http_request_duration_seconds Time from a request's first byte read to its "
           "response written.\n"
           "# TYPE carebridge_http_request_duration_seconds histogram\n";
    for (std::size_t r = 0; r < route_count; ++r) {
        if (latency_[r].count.load(std::memory_order_relaxed) == 0) continue;
        latency_[r].render(out, "carebridge_http_request_duration_seconds",
                           "route=\"" + std::string(to_string(static_cast<RouteId>(r))) + "\"");
    }
    out += "# HELP carebridge_store_commit_duration_seconds Time of one durable store transaction (grouped).\n"
           "# TYPE carebridge_store_commit_duration_seconds histogram\n";
    commit_time_.render(out, "carebridge_store_commit_duration_seconds", "");
    out += "# HELP carebridge_store_committed_write_sets_total Requests' write sets made durable.\n"
           "# TYPE carebridge_store_committed_write_sets_total counter\n";
    append_labelled(out, "carebridge_store_committed_write_sets_total", "",
                    commit_write_sets_.load(std::memory_order_relaxed));
    out += "# HELP carebridge_open_connections Client connections open now.\n"
           "# TYPE carebridge_open_connections gauge\n";
    out += "carebridge_open_connections " + std::to_string(open_connections()) + "\n";
    out += "# HELP carebridge_referral_escalations_total Red referrals not accepted in time, escalated to their "
           "originators.\n"
           "# TYPE carebridge_referral_escalations_total counter\n";
    out += "carebridge_referral_escalations_total " + std::to_string(escalations()) + "\n";
    out += "# HELP carebridge_referrals_triaged_total Referrals the directory could not route, held in the triage "
           "queue instead of refused.\n"
           "# TYPE carebridge_referrals_triaged_total counter\n";
    out += "carebridge_referrals_triaged_total " + std::to_string(triaged()) + "\n";
    return out;
}

}  // namespace carebridge::gateway::http
