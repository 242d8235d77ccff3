#pragma once
// The auditor's page (gateway/ui/audit/): its HTML, CSS and JavaScript are
// compiled into the binary (gateway/ui/embed_ui.cmake) and served at
// /ui/audit and /ui/audit/<file> without credentials, since they hold no
// data: the page asks the audit API for everything with the token the
// auditor signs in with. Every asset goes out with a Content-Security-Policy
// of default-src 'self', so the page makes no request anywhere else and runs
// no script it did not ship with.

#include <span>
#include <string_view>

#include "http/exchange.hpp"

namespace carebridge::gateway::ui {

// One embedded file: its name under gateway/ui/audit/ and its bytes.
struct EmbeddedFile {
    std::string_view name;
    std::string_view bytes;
};
// Generated at build time.
std::span<const EmbeddedFile> embedded_ui_files();

struct UiRoute {
    bool matched = false;                 // the path is /ui/audit or under it
    const EmbeddedFile* file = nullptr;   // null: no such file (404)
    const char* allow = "";               // the methods the path takes, for 405
    bool method_ok = false;
};

// /ui/audit and /ui/audit/ are the page (index.html); /ui/audit/<name> a file.
UiRoute match_ui_route(http::Method method, std::string_view target);

// 200 with the file and the page's security headers, or 404.
http::Response ui_asset_response(const UiRoute& route);

}  // namespace carebridge::gateway::ui
