#include "ui/ui_assets.hpp"

#include <string>

namespace carebridge::gateway::ui {
namespace {

constexpr std::string_view prefix = "/ui/audit";

std::string_view content_type_of(std::string_view name) {
    if (name.ends_with(".html")) return "text/html; charset=utf-8";
    if (name.ends_with(".css")) return "text/css; charset=utf-8";
    if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
    if (name.ends_with(".svg")) return "image/svg+xml";
    if (name.ends_with(".png")) return "image/png";
    if (name.ends_with(".ico")) return "image/x-icon";
    return "application/octet-stream";
}

const EmbeddedFile* file_named(std::string_view name) {
    for (const EmbeddedFile& file : embedded_ui_files())
        if (file.name == name) return &file;
    return nullptr;
}

}  // namespace

UiRoute match_ui_route(http::Method method, std::string_view target) {
    const std::string_view path = target.substr(0, target.find('?'));
    UiRoute route;
    if (path != prefix && !path.starts_with(std::string(prefix) + "/")) return route;
    route.matched = true;
    route.allow = "GET, HEAD";
    route.method_ok = method == http::Method::get || method == http::Method::head;
    std::string_view name = path.substr(prefix.size());
    if (name.starts_with('/')) name.remove_prefix(1);
    if (name.empty()) name = "index.html";
    // Only the embedded names answer: a path with ".." or "/" names nothing here.
    route.file = file_named(name);
    return route;
}

http::Response ui_asset_response(const UiRoute& route) {
    http::Response r;
    if (!route.file) {
        r.status = 404;
        r.content_type = "text/plain; charset=utf-8";
        r.body = "no such file\n";
        return r;
    }
    r.content_type = std::string(content_type_of(route.file->name));
    r.body = std::string(route.file->bytes);
    // The page talks only to this gateway and runs only its own script; it
    // may not be framed (clickjacking) and its address is not sent on.
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
}

}  // namespace carebridge::gateway::ui
