// Reading a configuration: JSON with comments → the schema → the Config
// structs → the checks a schema cannot express (references between sections,
// duplicates, files on disk). Every failure is one line naming the key.

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "config/config.hpp"
#include "config/config_schema.hpp"

namespace carebridge::gateway::config {
namespace {

using rapidjson::Value;
namespace fs = std::filesystem;

// A configuration is a few kilobytes; anything this size is the wrong file.
constexpr std::size_t max_config_bytes = 16u << 20;

std::string_view view(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

const Value* member(const Value& object, std::string_view name) {
    const auto it =
        object.FindMember(Value(rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
    return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string in_quotes(std::string_view s) { return '"' + std::string(s) + '"'; }

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string indexed(std::string_view list, std::size_t i) { return std::string(list) + '[' + std::to_string(i) + ']'; }

// "line 3, column 14 (byte 57)": the offset alone is hard to find in an editor.
std::string position(std::string_view text, std::size_t offset) {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column) + " (byte " +
           std::to_string(offset) + ")";
}

// RapidJSON keeps both members of an object that names one twice, and lookups
// find the first: the second would be silently ignored, so refuse it.
std::optional<std::string> repeated_key(const Value& v, const std::string& path) {
    if (v.IsObject()) {
        std::set<std::string_view> seen;
        for (const auto& m : v.GetObject()) {
            const std::string child = path.empty() ? std::string(view(m.name)) : path + '.' + std::string(view(m.name));
            if (!seen.insert(view(m.name)).second) return child + ": appears twice in one object";
            if (auto found = repeated_key(m.value, child)) return found;
        }
    } else if (v.IsArray()) {
        for (rapidjson::SizeType i = 0; i < v.Size(); ++i)
            if (auto found = repeated_key(v[i], indexed(path, i))) return found;
    }
    return std::nullopt;
}

std::string resolve(const std::string& base_directory, std::string_view file) {
    fs::path p{std::string(file)};
    if (p.is_relative()) {
        std::error_code ec;
        fs::path base = base_directory.empty() ? fs::current_path(ec) : fs::path(base_directory);
        p = base / p;
    }
    return p.lexically_normal().string();
}

// The TLS files are read when the listener starts; failing here names the key
// instead of an OpenSSL error later.
std::optional<std::string> unreadable(const std::string& key, const std::string& file) {
    std::error_code ec;
    if (fs::is_directory(file, ec)) return key + ": " + file + " is a directory, not a file";
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) return key + ": cannot read " + file + ": " + std::strerror(errno);
    std::fclose(f);
    return std::nullopt;
}

Roles read_roles(const Value& list) {
    Roles roles;
    for (const Value& r : list.GetArray()) {
        const std::string_view name = view(r);
        if (name == "submitter") roles.add(Role::submitter);
        else if (name == "partner") roles.add(Role::partner);
        else if (name == "auditor") roles.add(Role::auditor);
        else if (name == "admin") roles.add(Role::admin);
    }
    return roles;
}

OrganisationType read_type(std::string_view name) {
    if (name == "trust") return OrganisationType::trust;
    if (name == "council") return OrganisationType::council;
    if (name == "gp") return OrganisationType::gp;
    if (name == "icb") return OrganisationType::icb;
    return OrganisationType::vcse;
}

double number_or(const Value& object, std::string_view name, double otherwise) {
    const Value* v = member(object, name);
    return v ? v->GetDouble() : otherwise;
}

std::uint64_t integer_or(const Value& object, std::string_view name, std::uint64_t otherwise) {
    const Value* v = member(object, name);
    return v ? v->GetUint64() : otherwise;
}

// The schema has already checked every type and range read here.
class ConfigReader {
public:
    ConfigReader(const Value& root, const std::string& base_directory) : root_(root), base_(base_directory) {}

    std::optional<std::string> read(Config& config) {
        if (auto e = listener(config.listener)) return e;
        config.threads = static_cast<unsigned>(integer_or(root_, "threads", config.threads));
        if (const Value* l = member(root_, "limits")) limits(*l, config.limits);
        if (auto e = store(view(root_["store"]), config.store)) return e;
        if (const Value* o = member(root_, "organisations"))
            if (auto e = organisations(*o, config.organisations)) return e;
        if (auto e = unique_organisation_names(config)) return e;
        if (const Value* c = member(root_, "clients"))
            if (auto e = clients(*c, config)) return e;
        if (const Value* c = member(root_, "certificate_clients"))
            if (auto e = certificate_clients(*c, config)) return e;
        return std::nullopt;
    }

private:
    std::optional<std::string> listener(Listener& out) {
        const Value& l = root_["listener"];
        if (const Value* host = member(l, "host")) out.host = std::string(view(*host));
        if (const Value* port = member(l, "port")) out.port = static_cast<std::uint16_t>(port->GetUint());
        const Value* plain = member(l, "plain_http");
        const bool plain_http = plain && plain->GetBool();
        const Value* tls = member(l, "tls");
        if (plain_http && tls) return "listener: has both tls and plain_http: true; choose one";
        if (!plain_http && !tls)
            return "listener.tls: is required (or \"plain_http\": true, for a demo on loopback only; the gateway "
                   "never serves plain HTTP by default)";
        if (plain_http) return std::nullopt;

        Tls& t = out.tls;
        t.enabled = true;
        t.certificate_file = resolve(base_, view((*tls)["certificate"]));
        t.private_key_file = resolve(base_, view((*tls)["private_key"]));
        if (const Value* ca = member(*tls, "client_ca")) t.client_ca_file = resolve(base_, view(*ca));
        if (const Value* mode = member(*tls, "client_certificates")) {
            const std::string_view m = view(*mode);
            t.client_certificates = m == "required"   ? ClientCertificates::required
                                    : m == "optional" ? ClientCertificates::optional
                                                      : ClientCertificates::none;
            if (m != "none" && t.client_ca_file.empty())
                return "listener.tls.client_ca: is required when client_certificates is " + in_quotes(m);
        }
        if (auto e = unreadable("listener.tls.certificate", t.certificate_file)) return e;
        if (auto e = unreadable("listener.tls.private_key", t.private_key_file)) return e;
        if (!t.client_ca_file.empty())
            if (auto e = unreadable("listener.tls.client_ca", t.client_ca_file)) return e;
        return std::nullopt;
    }

    static void limits(const Value& l, Limits& out) {
        using std::chrono::milliseconds;
        out.max_header_bytes = integer_or(l, "max_header_bytes", out.max_header_bytes);
        out.max_json_body_bytes = integer_or(l, "max_json_body_bytes", out.max_json_body_bytes);
        out.max_export_body_bytes = integer_or(l, "max_export_body_bytes", out.max_export_body_bytes);
        out.read_timeout = milliseconds(integer_or(l, "read_timeout_ms", out.read_timeout.count()));
        out.idle_timeout = milliseconds(integer_or(l, "idle_timeout_ms", out.idle_timeout.count()));
        out.max_connections = integer_or(l, "max_connections", out.max_connections);
        out.rate_per_second = number_or(l, "rate_per_second", out.rate_per_second);
        out.burst = number_or(l, "burst", out.burst);
        out.drain_timeout = milliseconds(integer_or(l, "drain_timeout_ms", out.drain_timeout.count()));
    }

    std::optional<std::string> store(std::string_view url, Store& out) {
        out.url = std::string(url);
        constexpr std::string_view sqlite = "sqlite:";
        if (url.starts_with(sqlite)) {
            const std::string_view directory = url.substr(sqlite.size());
            if (directory.empty()) return "store: \"sqlite:\" needs a directory, e.g. \"sqlite:/var/lib/carebridge\"";
            out.sqlite_directory = resolve(base_, directory);
            return std::nullopt;
        }
        if (url.starts_with("postgresql:") || url.starts_with("postgres:"))
            return "store: PostgreSQL is not supported yet; use \"sqlite:DIR\"";
        return "store: " + in_quotes(url) + " is not a store this gateway knows; use \"sqlite:DIR\"";
    }

    // The id's form is checked here, not by the schema's patternProperties:
    // RapidJSON 1.1 crashes on patternProperties and reports errors inside them
    // without their path.
    static bool valid_id(std::string_view id) {
        if (id.empty() || id.size() > 64 || id[0] < 'a' || id[0] > 'z') return false;
        for (const char c : id)
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
        return true;
    }

    static std::optional<std::string> organisations(const Value& list, std::vector<Organisation>& out) {
        for (const auto& m : list.GetObject()) {
            if (!valid_id(view(m.name)))
                return "organisations." + std::string(view(m.name)) +
                       ": is not a valid organisation id (1 to 64 lower-case letters, digits and '-', starting with "
                       "a letter)";
            Organisation& o = out.emplace_back();
            o.id = std::string(view(m.name));
            o.ods_code = std::string(view(m.value["ods"]));
            o.name = std::string(view(m.value["name"]));
            o.type = read_type(view(m.value["type"]));
            if (const Value* aliases = member(m.value, "aliases"))
                for (const Value& a : aliases->GetArray()) o.aliases.emplace_back(view(a));
        }
        return std::nullopt;
    }

    // Each id, ODS code and alias must lead to one organisation only, or a
    // lookup (and so a referral's recipient) would depend on the file's order.
    static std::optional<std::string> unique_organisation_names(const Config& config) {
        struct Owner {
            std::string organisation;
            std::string key;
        };
        std::map<std::string, Owner> owners;  // lower-cased name → where it was first given
        for (const Organisation& o : config.organisations) {
            const std::string at = "organisations." + o.id;
            std::vector<std::pair<std::string, std::string>> names{{o.id, at}, {o.ods_code, at + ".ods"}};
            for (std::size_t i = 0; i < o.aliases.size(); ++i) names.emplace_back(o.aliases[i], indexed(at + ".aliases", i));
            for (const auto& [name, key] : names) {
                const auto [it, fresh] = owners.try_emplace(lower(name), Owner{o.id, key});
                if (!fresh && it->second.organisation != o.id)
                    return key + ": " + in_quotes(name) + " already names organisation " + in_quotes(it->second.organisation) +
                           " (" + it->second.key + "); an id, ODS code or alias must lead to one organisation";
            }
        }
        return std::nullopt;
    }

    static std::optional<std::string> known_organisation(const Config& config, const std::string& key,
                                                         std::string_view id) {
        for (const Organisation& o : config.organisations)
            if (o.id == id) return std::nullopt;
        std::string message = key + ": " + in_quotes(id) + " is not one of the organisations";
        if (const Organisation* meant = config.organisation(id))
            message += " (it names " + in_quotes(meant->id) + "; use the id)";
        return message;
    }

    static std::optional<std::string> clients(const Value& list, Config& config) {
        std::map<std::string, std::size_t> ids, tokens;
        for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
            const Value& c = list[i];
            const std::string at = indexed("clients", i);
            ApiClient& client = config.clients.emplace_back();
            client.id = std::string(view(c["id"]));
            client.organisation = std::string(view(c["organisation"]));
            client.roles = read_roles(c["roles"]);
            client.token_sha256 = std::string(view(c["token_sha256"]));
            client.rate_per_second = number_or(c, "rate_per_second", 0);
            client.burst = number_or(c, "burst", 0);

            if (auto e = known_organisation(config, at + ".organisation", client.organisation)) return e;
            if (const auto [it, fresh] = ids.try_emplace(client.id, i); !fresh)
                return at + ".id: " + in_quotes(client.id) + " is already the id of " + indexed("clients", it->second);
            if (const auto [it, fresh] = tokens.try_emplace(client.token_sha256, i); !fresh)
                return at + ".token_sha256: the same token as " + indexed("clients", it->second) + " (" +
                       config.clients[it->second].id + "); each client needs its own token";
        }
        return std::nullopt;
    }

    static std::optional<std::string> certificate_clients(const Value& list, Config& config) {
        if (!list.Empty() && config.listener.tls.client_certificates == ClientCertificates::none)
            return "certificate_clients: listed, but listener.tls.client_certificates is not \"optional\" or "
                   "\"required\", so no client is ever asked for a certificate";
        std::map<std::string, std::size_t> subjects;
        for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
            const Value& c = list[i];
            const std::string at = indexed("certificate_clients", i);
            CertificateClient& client = config.certificate_clients.emplace_back();
            client.subject = std::string(view(c["subject"]));
            client.organisation = std::string(view(c["organisation"]));
            client.roles = read_roles(c["roles"]);
            client.rate_per_second = number_or(c, "rate_per_second", 0);
            client.burst = number_or(c, "burst", 0);

            if (auto e = known_organisation(config, at + ".organisation", client.organisation)) return e;
            if (const auto [it, fresh] = subjects.try_emplace(client.subject, i); !fresh)
                return at + ".subject: the same subject as " + indexed("certificate_clients", it->second);
        }
        return std::nullopt;
    }

    const Value& root_;
    const std::string& base_;
};

}  // namespace

std::optional<Config> parse_config(std::string_view text, const std::string& base_directory, std::string& error) {
    rapidjson::Document document;
    // Comments let the file say why a value is what it is; nothing else beyond JSON.
    constexpr unsigned flags =
        rapidjson::kParseCommentsFlag | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;
    // Parse(pointer, length) reads through a bounded stream: no terminator is needed and none is read past.
    document.Parse<flags>(text.data(), text.size());
    if (document.HasParseError()) {
        error = "not valid JSON at " + position(text, document.GetErrorOffset()) + ": " +
                rapidjson::GetParseError_En(document.GetParseError());
        return std::nullopt;
    }
    if (auto violation = schema_violation(document)) {
        error = std::move(*violation);
        return std::nullopt;
    }
    // After the schema: it bounds the depth this recursion walks.
    if (auto repeated = repeated_key(document, "")) {
        error = std::move(*repeated);
        return std::nullopt;
    }
    Config config;
    if (auto problem = ConfigReader(document, base_directory).read(config)) {
        error = std::move(*problem);
        return std::nullopt;
    }
    return config;
}

std::optional<Config> load_config(const std::string& path, std::string& error) {
    std::error_code ec;
    const fs::path absolute = fs::absolute(path, ec).lexically_normal();
    if (ec) {
        error = "cannot find " + path + ": " + ec.message();
        return std::nullopt;
    }
    if (fs::is_directory(absolute, ec)) {
        error = "cannot read " + absolute.string() + ": it is a directory";
        return std::nullopt;
    }
    std::FILE* f = std::fopen(absolute.c_str(), "rb");
    if (!f) {
        error = "cannot read " + absolute.string() + ": " + std::strerror(errno);
        return std::nullopt;
    }
    std::string text;
    char chunk[65536];
    std::size_t n = 0;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) {
        text.append(chunk, n);
        if (text.size() > max_config_bytes) break;
    }
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) {
        error = "cannot read " + absolute.string();
        return std::nullopt;
    }
    if (text.size() > max_config_bytes) {
        error = absolute.string() + " is over " + std::to_string(max_config_bytes >> 20) +
                " MiB; it is not a configuration file";
        return std::nullopt;
    }
    auto config = parse_config(text, absolute.parent_path().string(), error);
    if (config) config->source_file = absolute.string();
    return config;
}

}  // namespace carebridge::gateway::config
