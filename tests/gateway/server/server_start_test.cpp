// The gateway refuses to start, with a one-line reason, when a place it must
// write to cannot be made: it never serves half-able to take referrals in.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.hpp"
#include "server/server.hpp"

namespace carebridge::testing {
namespace {

namespace fs = std::filesystem;

fs::path fresh_directory(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("carebridge-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

TEST(ServerStart, AFileWhereExportsAreReceivedStopsTheStartWithItsReason) {
    const fs::path store = fresh_directory("start-incoming");
    std::ofstream(store / "incoming") << "not a directory";
    std::string error;
    auto config = gateway::config::load_config(std::string(CAREBRIDGE_SOURCE_DIR) + "/config/demo.json", error);
    ASSERT_TRUE(config) << error;
    config->listener.port = 0;
    config->store.sqlite_directory = store.string();
    gateway::server::ServerOptions options;
    options.access_log = false;
    auto server = gateway::server::Server::start(std::make_shared<const gateway::config::Config>(std::move(*config)),
                                                 options, error);
    EXPECT_EQ(server, nullptr);
    EXPECT_NE(error.find("incoming"), std::string::npos) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    fs::remove_all(store);
}

}  // namespace
}  // namespace carebridge::testing
