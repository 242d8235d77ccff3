#include "support/serve_process.hpp"

#include <charconv>

namespace carebridge::testing {

std::optional<std::uint16_t> listening_port(std::string_view line) {
    constexpr std::string_view prefix = "carebridge: listening on ";
    if (!line.starts_with(prefix)) return std::nullopt;
    line.remove_prefix(prefix.size());
    // The port follows the last colon of the address ([::1]:8443 has others).
    const auto end = line.find(' ');
    const std::string_view address = line.substr(0, end);
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string_view digits = address.substr(colon + 1);
    unsigned port = 0;
    const auto [stop, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || stop != digits.data() + digits.size() || port == 0 || port > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(port);
}

bool ServeProcess::start(std::string& error, const std::string& name, const std::vector<std::string>& extra_args,
                         std::chrono::milliseconds timeout) {
    port_ = 0;
    std::vector<std::string> args{"serve", "--config", config_file.string(), "--listen", "127.0.0.1:0",
                                  "--data", data_dir.string()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    if (const auto ec = process.start(carebridge_binary(), args, log_dir.string(), name)) {
        error = "cannot run " + carebridge_binary() + ": " + ec.message();
        return false;
    }
    const auto line = process.wait_for_line("carebridge: listening on ", timeout);
    const auto port = line ? listening_port(*line) : std::nullopt;
    if (!port) {
        error = (line ? "no port in '" + *line + "'" : std::string("the gateway did not start")) +
                "; its stderr:\n" + process.stderr_text();
        return false;
    }
    port_ = *port;
    return true;
}

}  // namespace carebridge::testing
