#include "support/gateway_fixture.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>

namespace carebridge::testing {

namespace {

std::atomic<int> temp_counter{0};

}  // namespace

TempDir::TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("carebridge-test-" + std::to_string(::getpid()) + "-" + std::to_string(temp_counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string bearer(std::string_view token) { return "Bearer " + std::string(token); }

std::string gateway_config_text(const TestPki& pki, const std::string& store_dir, const GatewayLimits& limits,
                                const std::string& extra_clients) {
    std::string text = R"({
  "schema": "carebridge-config/1",
  "listener": {
    "host": "127.0.0.1", "port": 0,
    "tls": { "certificate": "SERVER_CERT", "private_key": "SERVER_KEY",
             "client_ca": "CA_CERT", "client_certificates": "optional" }
  },
  "threads": THREADS_SOCKET,
  "work_threads": THREADS_WORK,
  "limits": {
    "max_header_bytes": 8192,
    "max_json_body_bytes": MAX_JSON,
    "max_export_body_bytes": MAX_EXPORT,
    "read_timeout_ms": READ_TIMEOUT,
    "idle_timeout_ms": IDLE_TIMEOUT,
    "min_body_bytes_per_second": MIN_BODY_RATE,
    "body_rate_window_ms": BODY_RATE_WINDOW,
    "drain_timeout_ms": DRAIN_TIMEOUT,
    "max_connections": MAX_CONNECTIONS,
    "rate_per_second": 100000,
    "burst": 100000MORE_LIMITS
  },
  "store": "sqlite:STORE_DIR",
  "organisations": {
    "trust": { "ods": "RZZ", "name": "Westshire Mental Health NHS Trust", "type": "trust",
               "aliases": ["Westshire Partnership NHS Trust", "RZY"] },
    "council": { "ods": "DCN01", "name": "Westshire Council", "type": "council" },
    "mind": { "ods": "DMN01", "name": "Westshire Mind", "type": "vcse" },
    "befriend": { "ods": "DBF01", "name": "Northfield Befriending", "type": "vcse" }
  },
  "clients": [
    { "id": "trust-epr", "organisation": "trust", "roles": ["submitter"],
      "token_sha256": "25ce54f4ee5287ecd5f22761bbcdc8f0ff6cc8f4630d1790925585242b9d15b2" },
    { "id": "council-social-care", "organisation": "council", "roles": ["submitter", "partner"],
      "token_sha256": "c6986c36513010c71961439a00418f7449270da00fd8d88b44bb0913dae7a11c" },
    { "id": "mind-inbox", "organisation": "mind", "roles": ["partner"],
      "token_sha256": "d44772c0a56df09d3f640f89ca679d8433b15ecdd3cf3d72664b6dc099d37dd2" },
    { "id": "gateway-admin", "organisation": "trust", "roles": ["admin"],
      "token_sha256": "cce7a2cf1ae045989cfc914fb95a41526f167a838b3c7d33745143614abace7c" },
    { "id": "throttled", "organisation": "council", "roles": ["submitter"], "rate_per_second": 0.01, "burst": 2,
      "token_sha256": "THROTTLED_HASH" }EXTRA
  ],
  "certificate_clients": [
    { "subject": "TRUST_SUBJECT", "organisation": "trust", "roles": ["submitter"] },
    { "subject": "COUNCIL_SUBJECT", "organisation": "council", "roles": ["submitter", "partner"] }
  ]
})";
    const auto put = [&](std::string_view key, const std::string& value) {
        const auto at = text.find(key);
        if (at != std::string::npos) text.replace(at, key.size(), value);
    };
    put("SERVER_CERT", pki.server_cert());
    put("SERVER_KEY", pki.server_key());
    put("CA_CERT", pki.ca_cert());
    put("MAX_JSON", std::to_string(limits.max_json_body_bytes));
    put("MAX_EXPORT", std::to_string(limits.max_export_body_bytes));
    put("READ_TIMEOUT", std::to_string(limits.read_timeout_ms));
    put("IDLE_TIMEOUT", std::to_string(limits.idle_timeout_ms));
    put("MIN_BODY_RATE", std::to_string(limits.min_body_bytes_per_second));
    put("BODY_RATE_WINDOW", std::to_string(limits.body_rate_window_ms));
    put("DRAIN_TIMEOUT", std::to_string(limits.drain_timeout_ms));
    put("MAX_CONNECTIONS", std::to_string(limits.max_connections));
    put("THREADS_SOCKET", std::to_string(limits.threads));
    put("THREADS_WORK", std::to_string(limits.work_threads));
    put("MORE_LIMITS", limits.more_limits);
    put("STORE_DIR", store_dir);
    put("THROTTLED_HASH", gateway::config::sha256_hex("test-throttled"));
    put("TRUST_SUBJECT", std::string(trust_subject));
    put("COUNCIL_SUBJECT", std::string(council_subject));
    put("EXTRA", extra_clients);
    return text;
}

RunningGateway::RunningGateway(const std::filesystem::path& directory, const GatewayLimits& limits, bool access_log)
    : dir(directory) {
    pki = std::make_unique<TestPki>(TestPki::create((dir / "pki").string()));
    store_dir = dir / "store";
    config_file = dir / "gateway.json";
    std::ofstream(config_file) << gateway_config_text(*pki, store_dir.string(), limits);
    std::string error;
    auto config = gateway::config::load_config(config_file.string(), error);
    if (!config) {
        ADD_FAILURE() << "test config: " << error;
        return;
    }
    gateway::server::ServerOptions options;
    options.access_log = access_log;
    server = gateway::server::Server::start(std::make_shared<const gateway::config::Config>(std::move(*config)),
                                            options, error);
    if (!server) {
        ADD_FAILURE() << "gateway start: " << error;
        return;
    }
    runner_ = std::thread([this] { result_ = server->run(); });
}

RunningGateway::~RunningGateway() { stop(); }

int RunningGateway::stop() {
    if (!server || stopped_) return result_;
    stopped_ = true;
    server->stop();
    if (runner_.joinable()) runner_.join();
    return result_;
}

ClientTls RunningGateway::tls(const std::string& client_certificate) const {
    ClientTls t;
    t.ca_cert = pki->ca_cert();
    if (!client_certificate.empty()) {
        t.client_cert = pki->client_cert(client_certificate);
        t.client_key = pki->client_key(client_certificate);
    }
    return t;
}

HttpClient RunningGateway::client(const std::string& client_certificate) const {
    return HttpClient(address(), tls(client_certificate));
}

}  // namespace carebridge::testing
