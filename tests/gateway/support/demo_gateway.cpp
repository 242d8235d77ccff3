#include "support/demo_gateway.hpp"

#include "config/config.hpp"

namespace carebridge::testing {

DemoGateway::DemoGateway(const std::filesystem::path& store,
                         const std::function<void(gateway::config::Config&)>& adjust) {
    std::string error;
    auto config = gateway::config::load_config(std::string(CAREBRIDGE_SOURCE_DIR) + "/config/demo.json", error);
    if (!config) {
        ADD_FAILURE() << error;
        return;
    }
    config->listener.port = 0;
    config->store.sqlite_directory = store.string();
    if (adjust) adjust(*config);
    gateway::server::ServerOptions options;
    options.access_log = false;
    server_ = gateway::server::Server::start(std::make_shared<const gateway::config::Config>(std::move(*config)),
                                             options, error);
    if (!server_) {
        ADD_FAILURE() << error;
        return;
    }
    runner_ = std::thread([this] { server_->run(); });
}

DemoGateway::~DemoGateway() {
    if (!server_) return;
    server_->stop();
    runner_.join();
}

}  // namespace carebridge::testing
