#pragma once
// The request pipeline, written once in the order a request meets it:
//
//   screen (on the header, before any body is read)
//     route      unknown path 404, wrong method 405: cheapest first
//     draining   503 while shutting down: take on no new work
//     auth       401: nothing else is said to a stranger
//     roles      403: the caller is known but may not do this
//     rate       429: after auth, so one client's flood counts against it alone
//     media      415 / 406, and 413 on a declared Content-Length over the route's limit
//   handle (with the body)
//     decode     400 not readable, 422 readable but invalid (e.g. NHS number fails mod-11)
//     policy     route, agreement and consent per recipient, minimised copies;
//                422 for a closed service or when no recipient may receive it
//     store      the message and its outbox rows committed durably; 503 when the store cannot
//     reply      201 with Location, or the original result for an idempotent repeat;
//                202 with a Task to poll when the directory could not route it and
//                the submitter triages (api/triage_api.hpp)
//
// The audit log (DESIGN.md) joins between decode and store; its rows go
// into the same write set and commit.
// No sockets here: the session and the HTTP fuzz target both drive it.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "api/audit_api.hpp"
#include "api/endpoint_table.hpp"
#include "http/outcome.hpp"
#include "http/auth.hpp"
#include "intake/disclosures.hpp"
#include "http/exchange.hpp"
#include "http/metrics.hpp"
#include "http/rate_limiter.hpp"
#include "policy/directory.hpp"
#include "policy/routing.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::api {

class Pipeline {
public:
    using Reply = std::function<void(http::Response)>;

    // The config must build a directory (config::load_config checks it); see reload().
    // The endpoint table is built here; check startup_error() before serving.
    Pipeline(std::shared_ptr<const config::Config> config, store::Store& store, http::Metrics& metrics);

    // Why this pipeline must not serve (an endpoint misdeclared, a directory
    // that does not build); empty when it may. The server refuses to start on it.
    const std::string& startup_error() const { return startup_error_; }

    // Every endpoint, as declared: for the server's start check and the role-by-endpoint tests.
    // Null when startup_error() is set.
    const EndpointTable* endpoints() const { return endpoints_ ? &*endpoints_ : nullptr; }

    // A response when the request is turned away on its header alone; nullopt
    // to read its body (within `screened.body_limit`) and call handle().
    std::optional<http::Response> screen(const http::Request& request, Screened& screened);

    // Handles a screened request with its body. `reply` is called exactly
    // once, possibly on another thread (after the store's commit).
    void handle(http::Request request, const Screened& screened, Reply reply);

    // SIGHUP: new requests see the new config and directory; requests in
    // flight finish on theirs. False with `error` when the directory does not
    // build from it (the old one stays).
    bool reload(std::shared_ptr<const config::Config> config, std::string& error);
    std::shared_ptr<const config::Config> config() const;
    // The partnership directory; null when the config routes nothing (an intake-only gateway).
    std::shared_ptr<const policy::Directory> directory() const;

    // SIGTERM: every new request gets 503 and the connection is closed.
    void start_draining() { draining_.store(true); }
    bool draining() const { return draining_.load(); }

    http::Metrics& metrics() { return metrics_; }

    // Called after a commit that queued outbox rows (the delivery worker's wake-up).
    void on_outbox_queued(std::function<void()> queued) { outbox_queued_ = std::move(queued); }

private:
    // The gateway's endpoints in the order a path is tried; pipeline.cpp says why each stands where it does.
    std::vector<Endpoint> declare_endpoints();
    http::Response reject(http::Rejection reason, unsigned status, std::string_view code, std::string message);
    void intake(http::Request request, const Screened& screened, Reply reply);
    void intake_export(http::Request request, const Screened& screened, Reply reply);
    void read_referral(const http::Request& request, const Screened& screened, Reply reply);
    http::Response render_referral(const http::Request& request, const Screened& screened);
    void record_rejection(const intake::Actor& actor, const std::string& patient, std::string_view reason,
                          std::size_t issues, http::Response response, Reply reply);
    http::Response translate(const http::Request& request);
    http::Response ready();
    http::Response health();
    http::Response metrics_text();
    // Commits an intake's write set and answers: 201 with Location for an
    // accepted referral, 202 with the Task to poll for one held for triage
    // (`triaged`, or an idempotent repeat of one), 503 when it was not stored.
    void commit(store::WriteSet writes, bool triaged, Reply reply);

    mutable std::mutex config_mutex_;
    std::shared_ptr<const config::Config> config_;
    std::shared_ptr<const policy::Directory> directory_;
    store::Store& store_;
    http::Metrics& metrics_;
    http::RateLimiter rate_limiter_;
    std::atomic<bool> draining_{false};
    std::function<void()> outbox_queued_;
    std::shared_ptr<AuditVerifier> audit_verifier_;  // /audit/verification's cached check
    std::optional<EndpointTable> endpoints_;
    std::string startup_error_;
};

}  // namespace carebridge::gateway::api
