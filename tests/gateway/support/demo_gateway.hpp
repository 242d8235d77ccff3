#pragma once
// The demo partnership (config/demo.json: its directory, agreements and
// tokens) running in process on plain HTTP, 127.0.0.1 port 0, with its store
// in a test's directory.

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

#include "config/config.hpp"
#include "server/server.hpp"
#include "support/test_client.hpp"

namespace carebridge::testing {

class DemoGateway {
public:
    // `adjust` changes the demo config before the start (e.g. an escalation time).
    explicit DemoGateway(const std::filesystem::path& store,
                         const std::function<void(gateway::config::Config&)>& adjust = {});
    ~DemoGateway();
    DemoGateway(const DemoGateway&) = delete;
    DemoGateway& operator=(const DemoGateway&) = delete;

    HttpClient client() const { return HttpClient({"127.0.0.1", server_->port()}); }
    bool ok() const { return server_ != nullptr; }

private:
    std::unique_ptr<gateway::server::Server> server_;
    std::thread runner_;
};

}  // namespace carebridge::testing
