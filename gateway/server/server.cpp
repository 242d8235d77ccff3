#include "server/server.hpp"

#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "audit/audit_event.hpp"
#include "audit/detail.hpp"
#include "delivery/delivery_worker.hpp"
#include "delivery/outbox_entry.hpp"
#include "api/pipeline.hpp"
#include "server/session.hpp"
#include "store/postgresql/postgresql_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "timers/audit_checkpoint.hpp"
#include "timers/escalation.hpp"
#include "timers/payload_retention.hpp"

namespace carebridge::gateway::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// The operator's log: start, stop, reload, failures. Never patient data.
void note(const std::string& line) { std::fprintf(stderr, "carebridge: %s\n", line.c_str()); }

// Shared, because sessions hold the context they were accepted under while a
// reload swaps in a new one for the handshakes after it.
std::shared_ptr<net::ssl::context> make_tls_context(const config::Tls& tls, std::string& error) {
    auto made = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
    net::ssl::context& context = *made;
    boost::system::error_code ec;
    // TLS 1.2 and 1.3 only: what NHS and DSPT guidance accept.
    SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
    context.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_compression |
                            net::ssl::context::single_dh_use,
                        ec);
    context.use_certificate_chain_file(tls.certificate_file, ec);
    if (ec) {
        error = "listener.tls.certificate: cannot use " + tls.certificate_file + ": " + ec.message();
        return nullptr;
    }
    context.use_private_key_file(tls.private_key_file, net::ssl::context::pem, ec);
    if (ec) {
        error = "listener.tls.private_key: cannot use " + tls.private_key_file + ": " + ec.message();
        return nullptr;
    }
    if (tls.client_certificates != config::ClientCertificates::none) {
        context.load_verify_file(tls.client_ca_file, ec);
        if (ec) {
            error = "listener.tls.client_ca: cannot use " + tls.client_ca_file + ": " + ec.message();
            return nullptr;
        }
        auto mode = net::ssl::verify_peer;
        if (tls.client_certificates == config::ClientCertificates::required)
            mode |= net::ssl::verify_fail_if_no_peer_cert;
        context.set_verify_mode(mode, ec);
        // With optional client certificates a bad one must not end the
        // handshake: the session sees the verify result and ignores the subject.
        if (tls.client_certificates == config::ClientCertificates::optional)
            context.set_verify_callback([](bool, net::ssl::verify_context&) { return true; }, ec);
    }
    return made;
}

// The store the config names: the embedded SQLite file, or PostgreSQL shared
// by several instances, each keeping its own files (the audit signing key,
// exports being received) in its data directory.
std::unique_ptr<store::Store> open_configured_store(const config::Store& cfg, const store::CommitObserver& observer,
                                                    std::error_code& error, std::string& message) {
    if (cfg.postgresql_url.empty()) {
        store::SqliteOptions options;
        options.directory = cfg.sqlite_directory;
        options.observer = observer;
        return store::open_sqlite_store(options, error, message);
    }
    if (cfg.sqlite_directory.empty()) {
        error = std::make_error_code(std::errc::invalid_argument);
        message = "a PostgreSQL store needs a data directory for this instance's own files (--data DIR)";
        return nullptr;
    }
    if (std::filesystem::create_directories(cfg.sqlite_directory, error); error) {
        message = "cannot create the data directory " + cfg.sqlite_directory + ": " + error.message();
        return nullptr;
    }
    store::PostgresqlOptions options;
    options.url = cfg.postgresql_url;
    options.audit_signing_key = (std::filesystem::path(cfg.sqlite_directory) / audit::signing_key_file).string();
    options.outbox_lease = cfg.outbox_lease;
    options.observer = observer;
    return store::open_postgresql_store(options, error, message);
}

class RunningServer final : public Server {
public:
    RunningServer(std::shared_ptr<const config::Config> config, const ServerOptions& options)
        : options_(options), config_(std::move(config)), acceptor_(io_) {}

    bool open(std::string& error) {
        const auto& cfg = *config_;
        std::error_code store_error;
        store::CommitObserver observer;
        observer.on_commit = [this](std::chrono::microseconds t, std::size_t n) { metrics_.observe_commit(t, n); };
        std::string store_message;
        store_ = open_configured_store(cfg.store, observer, store_error, store_message);
        if (!store_) {
            error = "store: " + store_message;
            return false;
        }
        const auto incoming = std::filesystem::path(cfg.store.sqlite_directory) / "incoming";
        // Care-notes exports stream here; without it no export could be taken, so the gateway does not start.
        std::error_code fs_error;
        if (std::filesystem::create_directories(incoming, fs_error); fs_error) {
            error = "cannot create " + incoming.string() + ": " + fs_error.message();
            return false;
        }
        // Exports half-received when the gateway last stopped were never acknowledged.
        for (const auto& stale : std::filesystem::directory_iterator(incoming, fs_error)) {
            std::error_code removed;
            if (!std::filesystem::remove(stale.path(), removed) && removed) {
                error = "cannot remove the half-received export " + stale.path().string() + ": " + removed.message();
                return false;
            }
        }
        if (fs_error) {
            error = "cannot read " + incoming.string() + ": " + fs_error.message();
            return false;
        }

        if (cfg.listener.tls.enabled) {
            tls_ = make_tls_context(cfg.listener.tls, error);
            if (!tls_) return false;
        }
        pipeline_.emplace(config_, *store_, metrics_);
        // An endpoint that does not declare who may call it would be served to anyone: refuse to start instead.
        if (!pipeline_->startup_error().empty()) {
            error = pipeline_->startup_error();
            return false;
        }
        // Partners' endpoints are looked up in the config as it is now, so a
        // reload that moves a webhook reaches the items already queued.
        delivery::DeliveryOptions delivery_options;
        delivery_options.log = [](std::string_view line) { note(std::string(line)); };
        delivery_.emplace(*store_, delivery_options,
                          delivery::config_endpoint_lookup([this] { return pipeline_->config(); }));
        pipeline_->on_outbox_queued([this] { delivery_->wake(); });
        record_config("loaded", *config_);
        sessions_.emplace(*pipeline_, metrics_);
        sessions_->incoming_directory = incoming;
        sessions_->access_log = options_.access_log;
        const unsigned work_threads =
            cfg.work_threads > 0 ? cfg.work_threads : std::max(1u, std::thread::hardware_concurrency());
        work_.emplace(work_threads);
        sessions_->work = &*work_;

        boost::system::error_code ec;
        const auto address = net::ip::make_address(cfg.listener.host, ec);
        if (ec) {
            error = "listener.host: '" + cfg.listener.host + "' is not an IP address";
            return false;
        }
        const tcp::endpoint endpoint(address, cfg.listener.port);
        acceptor_.open(endpoint.protocol(), ec);
        if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
        if (!ec) acceptor_.bind(endpoint, ec);
        if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
        if (ec) {
            error = "listener: cannot listen on " + cfg.listener.host + ":" + std::to_string(cfg.listener.port) + ": " +
                    ec.message();
            return false;
        }
        port_ = acceptor_.local_endpoint().port();
        return true;
    }

    std::uint16_t port() const override { return port_; }
    http::Metrics& metrics() override { return metrics_; }

    int run() override {
        std::optional<net::signal_set> signals;
        if (options_.handle_signals) {
            signals.emplace(io_, SIGTERM, SIGINT, SIGHUP);
            wait_for_signal(*signals);
        }
        std::string delivery_error;
        if (!delivery_->start(delivery_error)) note("delivery worker did not start: " + delivery_error);
        checkpoint_timer_.emplace(io_);
        purge_expired_payloads();
        schedule_checkpoint();
        escalation_timer_.emplace(io_);
        schedule_escalations();
        do_accept();
        const auto& cfg = *config_;
        const unsigned threads = cfg.threads > 0 ? cfg.threads : std::max(1u, std::thread::hardware_concurrency());
        std::vector<std::thread> pool;
        for (unsigned i = 1; i < threads; ++i) pool.emplace_back([this] { io_.run(); });
        io_.run();
        for (auto& t : pool) t.join();
        work_->join();  // the drain saw every request answered; nothing is left to decode
        // Attempts in flight stay pending in the outbox; the next start resumes them.
        delivery_->stop();
        // The log as it stands at the stop is signed, so nothing appended
        // since the last checkpoint is left to the chain alone.
        store_->sign_audit_checkpoint([](store::CommitResult) {});
        // Everything acknowledged is already durable; this commits what is queued
        // behind it and closes the file cleanly.
        store_->close();
        return 0;
    }

    void stop() override {
        net::post(io_, [this] { begin_drain(); });
    }

    bool reload(std::string& error) override {
        const std::string path = pipeline_->config()->source_file;
        auto fresh = config::load_config(path, error);
        if (!fresh) return false;
        const auto current = pipeline_->config();
        // The socket and store were made at start (with any --listen and
        // --data overrides); a reload keeps them as they run. The certificate
        // and key are read again, so a renewed certificate is served from the
        // next handshake on while connections made before it carry on.
        if (fresh->store.url != current->store.url || fresh->listener.tls.enabled != current->listener.tls.enabled)
            note("config reload: the listener, plain HTTP or TLS, and the store keep their running values until a "
                 "restart");
        const bool tls_stays = fresh->listener.tls.enabled && current->listener.tls.enabled;
        std::shared_ptr<net::ssl::context> tls;
        if (tls_stays) {
            tls = make_tls_context(fresh->listener.tls, error);
            if (!tls) return false;
        }
        config::Tls tls_config = tls_stays ? fresh->listener.tls : current->listener.tls;
        fresh->listener = current->listener;
        fresh->listener.tls = std::move(tls_config);
        fresh->store = current->store;
        auto reloaded = std::make_shared<const config::Config>(std::move(*fresh));
        if (!pipeline_->reload(reloaded, error)) return false;
        if (tls) {
            std::lock_guard lock(tls_mutex_);
            tls_ = std::move(tls);
            note("TLS certificate " + reloaded->listener.tls.certificate_file + " and its key read again");
        }
        record_config("reloaded", *reloaded);
        return true;
    }

private:
    // Which rules were in force when is part of the evidence: each load and
    // reload is an audit entry naming the file's hash and the policy version.
    void record_config(std::string_view event, const config::Config& config) {
        std::ifstream in(config.source_file, std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        audit::AuditEvent e;
        e.action = audit::AuditAction::config_changed;
        e.actor_role = "gateway";
        e.outcome = std::string(audit::outcome::success);
        audit::Detail detail;
        detail.add("event", event)
            .add("file", config.source_file)
            .add("sha256", config::sha256_hex(text))
            .add("policy_version", config.policy_version);
        // The terminology table decides routing too, from a file of its own.
        if (const std::string& table = config.terminology.source_file; !table.empty()) {
            std::ifstream table_in(table, std::ios::binary);
            const std::string table_text((std::istreambuf_iterator<char>(table_in)), std::istreambuf_iterator<char>());
            detail.add("terminology_file", table).add("terminology_sha256", config::sha256_hex(table_text));
        }
        e.detail = detail.text();
        store::WriteSet writes;
        writes.audit.push_back(std::move(e));
        store_->commit(std::move(writes), [](store::CommitResult result) {
            if (result.error) note("the config change could not be recorded: " + result.error_message);
        });
    }

    void wait_for_signal(net::signal_set& signals) {
        signals.async_wait([this, &signals](boost::system::error_code ec, int signal) {
            if (ec) return;
            if (signal == SIGHUP) {
                std::string error;
                if (reload(error))
                    note("config reloaded");
                else
                    note("config reload refused, the running config stays: " + error);
                wait_for_signal(signals);
                return;
            }
            note(std::string("draining on ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT"));
            signals.cancel();
            begin_drain();
        });
    }

    std::shared_ptr<net::ssl::context> current_tls() {
        std::lock_guard lock(tls_mutex_);
        return tls_;
    }

    void do_accept() {
        acceptor_.async_accept(net::make_strand(io_), [this](boost::system::error_code ec, tcp::socket socket) {
            if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
            if (!ec) {
                const auto& limits = pipeline_->config()->limits;
                if (static_cast<std::size_t>(metrics_.open_connections()) >= limits.max_connections) {
                    // Over the limit the connection is refused at once, before any TLS work.
                    metrics_.count_rejection(http::Rejection::connection_limit);
                    boost::system::error_code ignored;
                    socket.close(ignored);
                } else if (auto tls = current_tls()) {
                    start_tls_session(std::move(socket), std::move(tls), *sessions_);
                } else {
                    start_plain_session(std::move(socket), *sessions_);
                }
            }
            do_accept();
        });
    }

    // The audit checkpoint and the retention purge every minute
    // (timers/audit_checkpoint.hpp, timers/payload_retention.hpp).
    void schedule_checkpoint() {
        checkpoint_timer_->expires_after(timers::checkpoint_interval);
        checkpoint_timer_->async_wait([this](boost::system::error_code ec) {
            if (ec || draining_) return;
            purge_expired_payloads();
            timers::sign_audit_checkpoint(*store_, note);
            schedule_checkpoint();
        });
    }

    // Red referrals nobody has taken on in time are escalated to their
    // originators (timers/escalation.hpp), one round at a time, so a slow
    // commit cannot let a timer fire twice.
    void schedule_escalations() {
        const auto config = pipeline_->config();
        escalation_timer_->expires_after(timers::escalation_check_interval(*config));
        escalation_timer_->async_wait([this](boost::system::error_code ec) {
            if (ec || draining_) return;
            if (!escalating_.exchange(true)) {
                const auto config = pipeline_->config();
                const timers::Escalations escalations{*store_, *config, [this] { delivery_->wake(); }};
                timers::escalate_overdue(escalations, std::chrono::system_clock::now(),
                                         [this](std::size_t escalated, bool failed) {
                                             metrics_.count_escalations(escalated);
                                             if (failed)
                                                 note("red and triage escalations not checked: the store failed; "
                                                      "retrying");
                                             escalating_.store(false);
                                         });
            }
            schedule_escalations();
        });
    }

    void purge_expired_payloads() {
        timers::purge_expired_payloads(*store_, pipeline_->config()->payload_retention_days,
                                       std::chrono::system_clock::now(), note);
    }

    void begin_drain() {
        if (draining_) return;
        draining_ = true;
        if (checkpoint_timer_) checkpoint_timer_->cancel();
        if (escalation_timer_) escalation_timer_->cancel();
        pipeline_->start_draining();
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        drain_deadline_ = std::chrono::steady_clock::now() + pipeline_->config()->limits.drain_timeout;
        drain_timer_.emplace(io_);
        poll_drain();
    }

    // In-flight requests finish (their commits included); idle keep-alive
    // connections hold nothing and are dropped when the pool stops.
    void poll_drain() {
        if (sessions_->in_flight.load() == 0 || std::chrono::steady_clock::now() >= drain_deadline_) {
            if (sessions_->in_flight.load() != 0)
                note("drain timeout: " + std::to_string(sessions_->in_flight.load()) + " requests still in flight");
            io_.stop();
            return;
        }
        drain_timer_->expires_after(std::chrono::milliseconds(20));
        drain_timer_->async_wait([this](boost::system::error_code) { poll_drain(); });
    }

    // Declared so that the io_context, whose pending handlers hold sessions,
    // is destroyed before what those sessions refer to.
    ServerOptions options_;
    std::shared_ptr<const config::Config> config_;
    http::Metrics metrics_;
    std::unique_ptr<store::Store> store_;
    std::optional<api::Pipeline> pipeline_;
    std::optional<delivery::DeliveryWorker> delivery_;
    std::optional<SessionContext> sessions_;
    net::io_context io_;
    // After io_, so it is destroyed first: a job it still holds holds a session on io_.
    std::optional<net::thread_pool> work_;
    std::mutex tls_mutex_;  // reload() may run on any thread; accepts read tls_
    std::shared_ptr<net::ssl::context> tls_;  // null: plain HTTP
    tcp::acceptor acceptor_;
    std::optional<net::steady_timer> drain_timer_;
    std::optional<net::steady_timer> checkpoint_timer_;
    std::optional<net::steady_timer> escalation_timer_;
    std::atomic<bool> escalating_{false};
    std::chrono::steady_clock::time_point drain_deadline_;
    std::uint16_t port_ = 0;
    bool draining_ = false;
};

}  // namespace

std::unique_ptr<Server> Server::start(std::shared_ptr<const config::Config> config, const ServerOptions& options,
                                      std::string& error) {
    auto server = std::make_unique<RunningServer>(std::move(config), options);
    if (!server->open(error)) return nullptr;
    return server;
}

}  // namespace carebridge::gateway::server
