#pragma once
// A gateway started in process for a test: fresh test certificates, a config
// written to a temp directory (TLS with optional client certificates, the demo
// partnership's tokens, tight limits so abuse tests run fast), a real SQLite
// store, the server on 127.0.0.1 port 0 on its own thread.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "config/config.hpp"
#include "server/server.hpp"
#include "support/test_client.hpp"
#include "support/test_pki.hpp"

namespace carebridge::testing {

struct GatewayLimits {
    std::size_t max_json_body_bytes = 256 * 1024;
    std::size_t max_export_body_bytes = 4 * 1024 * 1024;
    int read_timeout_ms = 1500;
    int idle_timeout_ms = 3000;
    std::size_t min_body_bytes_per_second = 65536;
    int body_rate_window_ms = 30000;
    int drain_timeout_ms = 10000;
    std::size_t max_connections = 1000;
    int threads = 2;       // socket threads
    int work_threads = 2;  // decoding requests with a body
    // More "limits" members, comma-led: `, "max_xml_attributes_per_element": 100000`.
    std::string more_limits;
};

// The config text: TLS from `pki`, store in `store_dir`. `extra_clients` is
// spliced into "clients" (JSON objects, comma-led).
std::string gateway_config_text(const TestPki& pki, const std::string& store_dir, const GatewayLimits& limits,
                                const std::string& extra_clients = "");

class RunningGateway {
public:
    // Writes the config into `dir` and starts the server; fails the test (and
    // leaves `server` null) when it cannot.
    RunningGateway(const std::filesystem::path& dir, const GatewayLimits& limits = {}, bool access_log = false);
    ~RunningGateway();

    ServerAddress address() const { return {"127.0.0.1", server->port()}; }
    // TLS to this gateway, optionally presenting the named test client certificate.
    ClientTls tls(const std::string& client_certificate = "") const;
    HttpClient client(const std::string& client_certificate = "") const;
    // Drains and waits for run() to return; its result.
    int stop();

    std::filesystem::path dir;
    std::filesystem::path store_dir;
    std::filesystem::path config_file;
    std::unique_ptr<TestPki> pki;
    std::unique_ptr<gateway::server::Server> server;

private:
    std::thread runner_;
    int result_ = -1;
    bool stopped_ = false;
};

// A fresh temp directory removed when the test ends.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

std::string read_text(const std::filesystem::path& file);
std::string bearer(std::string_view token);

}  // namespace carebridge::testing
