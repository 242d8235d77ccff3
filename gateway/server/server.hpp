#pragma once
// The running gateway: a listener on one address (TLS unless the config says
// plain_http), sessions on a thread pool, the request pipeline, the store.
//
//   listener ─► session (TLS handshake, limits, keep-alive) ─► pipeline ─► store
//
// stop() (SIGTERM) drains: the listener closes, new requests get 503, the
// requests in flight finish and commit, then run() returns. reload() (SIGHUP)
// swaps the config for new requests and reads the TLS certificate and key
// again for new handshakes; a bad new config or key pair is refused.

#include <cstdint>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "http/metrics.hpp"

namespace carebridge::gateway::server {

struct ServerOptions {
    bool access_log = true;       // one JSON line per request on stdout, without patient data
    bool handle_signals = false;  // SIGTERM/SIGINT drain, SIGHUP reload (the command line)
};

class Server {
public:
    // Opens the store, prepares TLS and binds the listener. nullptr with a
    // one-line `error` when any of them fails.
    static std::unique_ptr<Server> start(std::shared_ptr<const config::Config> config, const ServerOptions& options,
                                         std::string& error);
    virtual ~Server() = default;

    // The bound port (useful with port 0).
    virtual std::uint16_t port() const = 0;
    // Serves until drained; returns 0 after a clean drain.
    virtual int run() = 0;
    // Drains from any thread; run() returns when done.
    virtual void stop() = 0;
    // Loads the config file and the TLS certificate and key again; false with
    // `error` (and the old ones kept) when either is bad.
    virtual bool reload(std::string& error) = 0;
    virtual http::Metrics& metrics() = 0;
};

}  // namespace carebridge::gateway::server
