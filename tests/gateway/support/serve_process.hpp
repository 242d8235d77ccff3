#pragma once
// The real `carebridge serve` as a separate process, for tests that need
// signals and crashes (SIGTERM drain, SIGHUP reload, kill -9 and restart):
// started on a config file and a data directory on 127.0.0.1 port 0, ready
// once it prints "carebridge: listening on https://127.0.0.1:PORT".

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/child_process.hpp"
#include "support/test_client.hpp"

namespace carebridge::testing {

// The port in a "carebridge: listening on SCHEME://HOST:PORT (...)" line; empty
// when the line is not one.
std::optional<std::uint16_t> listening_port(std::string_view line);

class ServeProcess {
public:
    ServeProcess(std::filesystem::path config_file, std::filesystem::path data_dir, std::filesystem::path log_dir)
        : config_file(std::move(config_file)), data_dir(std::move(data_dir)), log_dir(std::move(log_dir)) {}

    // Starts `carebridge serve --config FILE --listen 127.0.0.1:0 --data DIR`
    // (plus `extra_args`) with its output in log_dir/NAME.stdout and .stderr,
    // and waits for the listening line. False with the reason (and the
    // child's stderr) in `error` when it does not come up.
    bool start(std::string& error, const std::string& name = "gateway", const std::vector<std::string>& extra_args = {},
               std::chrono::milliseconds timeout = std::chrono::seconds(30));

    std::uint16_t port() const { return port_; }
    ServerAddress address() const { return {"127.0.0.1", port_}; }

    std::filesystem::path config_file;
    std::filesystem::path data_dir;
    std::filesystem::path log_dir;
    ChildProcess process;

private:
    std::uint16_t port_ = 0;
};

}  // namespace carebridge::testing
