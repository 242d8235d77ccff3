#include "serve_command.hpp"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "server/server.hpp"
#include "translate_command.hpp"

namespace carebridge::cli {

namespace {

constexpr std::string_view serve_help = R"(Usage: carebridge serve --config FILE [--listen HOST:PORT] [--data DIR] [--quiet]

Runs the gateway: FHIR, care-notes and partnership referral intake over HTTPS,
stored durably in the embedded SQLite store (or the config's PostgreSQL
database, shared by several instances) before each 201 is sent.

  --config FILE       the gateway config (JSON with comments), e.g. config/demo.json
  --listen HOST:PORT  listen here instead of the config's listener ([::1]:8443 for IPv6;
                      port 0 picks a free port)
  --data DIR          keep the SQLite store in DIR instead of the config's; with
                      PostgreSQL, this instance's own files (the audit signing
                      key, the same on every instance, and exports being received)
  --quiet             no access log (one JSON line per request) on stdout

SIGTERM or SIGINT drains (in-flight requests finish) and exits 0; SIGHUP reloads
the config, keeping the running one if the new file is invalid.
)";

int usage(const std::string& message) {
    std::fprintf(stderr, "carebridge serve: %s (see carebridge serve --help)\n", message.c_str());
    return exit_io_or_usage;
}

bool split_listen(std::string_view text, std::string& host, std::uint16_t& port) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    std::string_view h = text.substr(0, colon);
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    const std::string_view p = text.substr(colon + 1);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
    if (ec != std::errc() || end != p.data() + p.size() || value > 65535) return false;
    host = std::string(h);
    port = static_cast<std::uint16_t>(value);
    return true;
}

}  // namespace

int run_serve(std::span<const std::string_view> args) {
    std::string config_path, listen, data;
    bool quiet = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view a = args[i];
        const auto value = [&](std::string& into) {
            if (i + 1 >= args.size()) return false;
            into = std::string(args[++i]);
            return true;
        };
        if (a == "-h" || a == "--help") {
            std::fputs(serve_help.data(), stdout);
            return exit_ok;
        } else if (a == "--config") {
            if (!value(config_path)) return usage("--config needs a file");
        } else if (a == "--listen") {
            if (!value(listen)) return usage("--listen needs HOST:PORT");
        } else if (a == "--data") {
            if (!value(data)) return usage("--data needs a directory");
        } else if (a == "--quiet") {
            quiet = true;
        } else {
            return usage("unknown option '" + std::string(a) + "'");
        }
    }
    if (config_path.empty()) return usage("--config FILE is required");

    std::string error;
    auto config = gateway::config::load_config(config_path, error);
    if (!config) {
        std::fprintf(stderr, "carebridge serve: %s: %s\n", config_path.c_str(), error.c_str());
        return exit_io_or_usage;
    }
    if (!listen.empty() && !split_listen(listen, config->listener.host, config->listener.port))
        return usage("--listen takes HOST:PORT, e.g. 127.0.0.1:8443 or [::1]:8443");
    if (!data.empty()) config->store.sqlite_directory = std::filesystem::absolute(data).string();

    gateway::server::ServerOptions options;
    options.access_log = !quiet;
    options.handle_signals = true;
    const bool tls = config->listener.tls.enabled;
    const std::string host = config->listener.host;
    const std::string store =
        config->store.postgresql_url.empty() ? config->store.sqlite_directory : config->store.postgresql_url;
    auto server = gateway::server::Server::start(std::make_shared<const gateway::config::Config>(std::move(*config)),
                                                 options, error);
    if (!server) {
        std::fprintf(stderr, "carebridge serve: %s\n", error.c_str());
        return exit_io_or_usage;
    }
    const std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    std::fprintf(stderr, "carebridge: listening on %s://%s:%u (store: %s%s)\n", tls ? "https" : "http",
                 shown_host.c_str(), static_cast<unsigned>(server->port()), store.c_str(),
                 tls ? "" : "; plain HTTP, as the config asks");
    std::fflush(stderr);
    const int status = server->run();
    std::fprintf(stderr, "carebridge: stopped\n");
    return status;
}

}  // namespace carebridge::cli
