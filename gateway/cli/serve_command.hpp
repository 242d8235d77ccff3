#pragma once
// `carebridge serve`: runs the gateway.
//
// | option            | meaning                                                          |
// |-------------------|------------------------------------------------------------------|
// | --config FILE     | the gateway config (required), e.g. config/demo.json             |
// | --listen HOST:PORT| overrides listener.host/port; [::1]:8443 for IPv6; port 0 = any  |
// | --data DIR        | overrides the SQLite store's directory                           |
// | --quiet           | no access log on stdout                                          |
//
// Prints "carebridge: listening on URL" on stderr once it accepts requests.
// SIGTERM or SIGINT drains and exits 0; SIGHUP reloads the config file.
// Exit status: 0 after a clean drain, 1 for usage, config or start-up errors.

#include <span>
#include <string_view>

namespace carebridge::cli {

int run_serve(std::span<const std::string_view> args);

}  // namespace carebridge::cli
