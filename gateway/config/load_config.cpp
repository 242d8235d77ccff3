// Reading a configuration: JSON with comments → the schema → the Config
// structs → the checks a schema cannot express (references between sections,
// duplicates, files on disk). Every failure is one line naming the key.

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
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

std::optional<std::string> known_organisation(const Config& config, const std::string& key, std::string_view id) {
    for (const Organisation& o : config.organisations)
        if (o.id == id) return std::nullopt;
    std::string message = key + ": " + in_quotes(id) + " is not one of the organisations";
    if (const Organisation* meant = config.organisation(id))
        message += " (it names " + in_quotes(meant->id) + "; use the id)";
    return message;
}

const Organisation* by_id(const Config& config, std::string_view id) {
    for (const Organisation& o : config.organisations)
        if (o.id == id) return &o;
    return nullptr;
}

std::string service_ids(const Organisation& o) {
    if (o.services.empty()) return "it has none";
    std::string out = "its services: ";
    for (std::size_t i = 0; i < o.services.size(); ++i) out += (i ? ", " : "") + o.services[i].id;
    return out;
}

std::optional<std::string> check_services(const Config& config) {
    for (const Organisation& o : config.organisations) {
        std::set<std::string> ids;
        for (const Service& service : o.services) {
            const std::string at = "organisations." + o.id + ".services." + service.id;
            if (!ids.insert(service.id).second) return at + ": appears twice";
            const ServiceCriteria& c = service.criteria;
            if (c.min_age && c.max_age && *c.min_age > *c.max_age)
                return at + ".criteria.min_age: " + std::to_string(*c.min_age) + " is above max_age " +
                       std::to_string(*c.max_age);
        }
    }
    return std::nullopt;
}

std::optional<std::string> check_rules(const Config& config) {
    if ((!config.routing_rules.empty() || !config.agreements.empty()) && config.policy_version.empty())
        return "policy_version: is required with routing_rules or agreements; every policy decision records it";
    std::map<std::string, std::size_t> ids;
    for (std::size_t i = 0; i < config.routing_rules.size(); ++i) {
        const RoutingRule& rule = config.routing_rules[i];
        const std::string at = indexed("routing_rules", i);
        if (const auto [it, fresh] = ids.try_emplace(rule.id, i); !fresh)
            return at + ".id: " + in_quotes(rule.id) + " is already the id of " + indexed("routing_rules", it->second);
        const RuleMatch& m = rule.match;
        if (m.needs.empty() && m.requested_services.empty() && m.pathways.empty() && m.priorities.empty() &&
            m.areas.empty() && m.sources.empty() && m.from.empty())
            return at + ".match: names no condition; a rule must say which referrals it takes";
        for (std::size_t j = 0; j < m.from.size(); ++j)
            if (auto e = known_organisation(config, indexed(at + ".match.from", j), m.from[j])) return e;
        if (rule.recipients.empty()) return at + ".recipients: must list at least 1";
        for (std::size_t j = 0; j < rule.recipients.size(); ++j) {
            const ServiceRef& to = rule.recipients[j];
            const std::string to_at = indexed(at + ".recipients", j);
            if (auto e = known_organisation(config, to_at + ".organisation", to.organisation)) return e;
            const Organisation* o = by_id(config, to.organisation);
            bool found = false;
            for (const Service& service : o->services) found = found || service.id == to.service;
            if (!found)
                return to_at + ".service: " + in_quotes(to.service) + " is not a service of " + in_quotes(o->id) +
                       " (" + service_ids(*o) + ")";
        }
    }
    return std::nullopt;
}

std::optional<std::string> check_agreements(const Config& config) {
    for (std::size_t i = 0; i < config.agreements.size(); ++i) {
        const Agreement& a = config.agreements[i];
        const std::string at = "agreements." + a.id;
        if (a.id.empty()) return indexed("agreements", i) + ": has no id";
        if (auto e = known_organisation(config, at + ".from", a.from)) return e;
        if (auto e = known_organisation(config, at + ".to", a.to)) return e;
        if (a.purposes.empty()) return at + ".purposes: must list at least 1";
        if (a.lawful_basis.article6.empty()) return at + ".lawful_basis.article6: is required";
        if (a.lawful_basis.article9.empty()) return at + ".lawful_basis.article9: is required";
        if (!config.minimisation_profile(a.profile))
            return at + ".profile: " + in_quotes(a.profile) + " is not one of the minimisation_profiles";
        // Two agreements for one pair and purpose would make the profile and
        // lawful basis of a disclosure depend on the file's order.
        for (std::size_t j = 0; j < i; ++j) {
            const Agreement& earlier = config.agreements[j];
            if (earlier.id == a.id) return at + ": appears twice";
            if (earlier.from != a.from || earlier.to != a.to) continue;
            for (const std::string& purpose : a.purposes)
                for (const std::string& other : earlier.purposes)
                    if (purpose == other)
                        return at + ".purposes: " + in_quotes(purpose) + " from " + in_quotes(a.from) + " to " +
                               in_quotes(a.to) + " is already covered by agreements." + earlier.id +
                               "; one agreement per pair and purpose";
        }
    }
    return std::nullopt;
}

// The schema has already checked every type and range read here.
class ConfigReader {
public:
    ConfigReader(const Value& root, const std::string& base_directory) : root_(root), base_(base_directory) {}

    std::optional<std::string> read(Config& config) {
        if (auto e = listener(config.listener)) return e;
        config.threads = static_cast<unsigned>(integer_or(root_, "threads", config.threads));
        config.work_threads = static_cast<unsigned>(integer_or(root_, "work_threads", config.work_threads));
        config.payload_retention_days =
            static_cast<unsigned>(integer_or(root_, "payload_retention_days", config.payload_retention_days));
        if (const Value* l = member(root_, "limits")) limits(*l, config.limits);
        if (const Value* e = member(root_, "escalation"))
            config.red_escalation_after = std::chrono::seconds(integer_or(*e, "red_not_accepted_within_seconds", 0));
        if (const Value* t = member(root_, "triage"))
            config.triage_escalate_after =
                std::chrono::seconds(integer_or(*t, "escalate_after_seconds", config.triage_escalate_after.count()));
        if (auto e = store(view(root_["store"]), config.store)) return e;
        config.store.outbox_lease =
            std::chrono::seconds(integer_or(root_, "outbox_lease_seconds", config.store.outbox_lease.count()));
        if (const Value* o = member(root_, "organisations"))
            if (auto e = organisations(*o, config.organisations)) return e;
        if (auto e = unique_organisation_names(config)) return e;
        if (const Value* c = member(root_, "clients"))
            if (auto e = clients(*c, config)) return e;
        if (const Value* c = member(root_, "certificate_clients"))
            if (auto e = certificate_clients(*c, config)) return e;
        if (const Value* v = member(root_, "policy_version")) config.policy_version = std::string(view(*v));
        if (const Value* r = member(root_, "routing_rules")) routing_rules(*r, config.routing_rules);
        if (const Value* a = member(root_, "agreements"))
            if (auto e = agreements(*a, config.agreements)) return e;
        if (const Value* p = member(root_, "minimisation_profiles"))
            if (auto e = minimisation_profiles(*p, config.minimisation_profiles)) return e;
        if (const Value* g = member(root_, "glossary"))
            if (auto e = glossary(*g, config.glossary)) return e;
        if (const Value* t = member(root_, "terminology"))
            if (auto e = terminology(*t, config.terminology)) return e;
        return cross_check(config);
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
        out.min_body_bytes_per_second = integer_or(l, "min_body_bytes_per_second", out.min_body_bytes_per_second);
        out.body_rate_window = milliseconds(integer_or(l, "body_rate_window_ms", out.body_rate_window.count()));
        out.max_connections = integer_or(l, "max_connections", out.max_connections);
        out.rate_per_second = number_or(l, "rate_per_second", out.rate_per_second);
        out.burst = number_or(l, "burst", out.burst);
        out.drain_timeout = milliseconds(integer_or(l, "drain_timeout_ms", out.drain_timeout.count()));
        out.decode.max_depth = integer_or(l, "max_json_depth", out.decode.max_depth);
        out.decode.max_string_bytes = integer_or(l, "max_string_bytes", out.decode.max_string_bytes);
        out.exports.max_client_bytes = integer_or(l, "max_export_client_bytes", out.exports.max_client_bytes);
        out.exports.max_depth = integer_or(l, "max_export_depth", out.exports.max_depth);
        out.exports.max_string_bytes = out.decode.max_string_bytes;
        out.exports.max_attributes_per_element =
            integer_or(l, "max_xml_attributes_per_element", out.exports.max_attributes_per_element);
        out.exports.max_name_bytes = integer_or(l, "max_xml_name_bytes", out.exports.max_name_bytes);
        out.exports.max_client_elements = integer_or(l, "max_export_client_elements", out.exports.max_client_elements);
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
        if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
            // A password in the config would be copied into backups and logs;
            // libpq reads it from PGPASSWORD or a PGPASSFILE instead.
            const std::size_t start = url.find("//") + 2;
            const std::string_view authority = url.substr(start, url.find_first_of("/?", start) - start);
            const auto at = authority.rfind('@');
            if ((at != std::string_view::npos && authority.substr(0, at).find(':') != std::string_view::npos) ||
                url.find("password=") != std::string_view::npos)
                return "store: the PostgreSQL URL holds a password; give it in PGPASSWORD or a PGPASSFILE instead";
            out.postgresql_url = std::string(url);
            return std::nullopt;
        }
        return "store: " + in_quotes(url) +
               " is not a store this gateway knows; use \"sqlite:DIR\" or \"postgresql://…\"";
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

    std::optional<std::string> organisations(const Value& list, std::vector<Organisation>& out) {
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
            const std::string at = "organisations." + o.id;
            if (const Value* services = member(m.value, "services"))
                if (auto e = read_services(*services, at + ".services", o.services)) return e;
            if (const Value* format = member(m.value, "format")) o.format = read_format(view(*format));
            if (const Value* endpoint = member(m.value, "endpoint"))
                if (auto e = read_endpoint(*endpoint, at + ".endpoint", o.endpoint.emplace())) return e;
        }
        return std::nullopt;
    }

    static translation::Format read_format(std::string_view name) {
        return translation::parse_format(name).value_or(translation::Format::referral);
    }

    template <typename Enum> static std::vector<Enum> read_codes(const Value* list) {
        std::vector<Enum> out;
        if (list)
            for (const Value& v : list->GetArray())
                if (auto code = model::parse_code<Enum>(view(v))) out.push_back(*code);
        return out;
    }

    static std::vector<std::string> read_strings(const Value* list) {
        std::vector<std::string> out;
        if (list)
            for (const Value& v : list->GetArray()) out.emplace_back(view(v));
        return out;
    }

    static std::optional<std::string> read_services(const Value& map, const std::string& at,
                                                    std::vector<Service>& out) {
        for (const auto& m : map.GetObject()) {
            if (!valid_id(view(m.name)))
                return at + "." + std::string(view(m.name)) +
                       ": is not a valid service id (1 to 64 lower-case letters, digits and '-', starting with a "
                       "letter)";
            Service& service = out.emplace_back();
            service.id = std::string(view(m.name));
            service.name = std::string(view(m.value["name"]));
            const std::string_view status = view(m.value["status"]);
            service.status = status == "open"     ? ServiceStatus::open
                             : status == "paused" ? ServiceStatus::paused
                                                  : ServiceStatus::closed;
            if (const Value* c = member(m.value, "criteria")) {
                ServiceCriteria& criteria = service.criteria;
                criteria.needs = read_codes<model::Need>(member(*c, "needs"));
                if (const Value* v = member(*c, "min_age")) criteria.min_age = v->GetInt();
                if (const Value* v = member(*c, "max_age")) criteria.max_age = v->GetInt();
                criteria.postcode_districts = read_strings(member(*c, "postcode_districts"));
                criteria.gp_practices = read_strings(member(*c, "gp_practices"));
                criteria.pathways = read_codes<model::Pathway>(member(*c, "pathways"));
            }
            if (const Value* c = member(m.value, "contact")) {
                service.contact.name = std::string(view((*c)["name"]));
                if (const Value* v = member(*c, "phone")) service.contact.phone = std::string(view(*v));
                if (const Value* v = member(*c, "email")) service.contact.email = std::string(view(*v));
            }
        }
        return std::nullopt;
    }

    std::optional<std::string> read_endpoint(const Value& e, const std::string& at, Endpoint& out) {
        out.url = std::string(view(e["url"]));
        out.format = read_format(view(e["format"]));
        if (const Value* v = member(e, "allow_plain_http")) out.allow_plain_http = v->GetBool();
        constexpr std::string_view https = "https://", http = "http://";
        const bool is_https = out.url.starts_with(https);
        const bool is_http = out.url.starts_with(http);
        if (!is_https && !(is_http && out.allow_plain_http))
            return at + ".url: " + in_quotes(out.url) +
                   (is_http ? " is plain HTTP; referrals are sent over https:// only (\"allow_plain_http\": true is "
                              "for tests on loopback)"
                            : " must start with https://");
        const std::size_t host_at = (is_https ? https : http).size();
        if (out.url.size() == host_at || out.url[host_at] == '/' || out.url[host_at] == ':')
            return at + ".url: " + in_quotes(out.url) + " names no host";

        if (const Value* v = member(e, "bearer_token_env")) {
            out.bearer_token_env = std::string(view(*v));
            // Refused now rather than at the first delivery, which would fail for hours unnoticed.
            if (std::getenv(out.bearer_token_env.c_str()) == nullptr)
                return at + ".bearer_token_env: the environment variable " + out.bearer_token_env +
                       " is not set; it must hold the bearer token for this endpoint";
        }
        const Value* certificate = member(e, "client_certificate");
        const Value* key = member(e, "client_key");
        if (certificate && !key) return at + ".client_key: is required with client_certificate";
        if (key && !certificate) return at + ".client_certificate: is required with client_key";
        if (certificate) {
            out.client_certificate_file = resolve(base_, view(*certificate));
            out.client_key_file = resolve(base_, view(*key));
            if (auto problem = unreadable(at + ".client_certificate", out.client_certificate_file)) return problem;
            if (auto problem = unreadable(at + ".client_key", out.client_key_file)) return problem;
        }
        if (const Value* ca = member(e, "ca")) {
            out.ca_file = resolve(base_, view(*ca));
            if (auto problem = unreadable(at + ".ca", out.ca_file)) return problem;
        }
        return std::nullopt;
    }

    static void routing_rules(const Value& list, std::vector<RoutingRule>& out) {
        for (const Value& r : list.GetArray()) {
            RoutingRule& rule = out.emplace_back();
            rule.id = std::string(view(r["id"]));
            const Value& m = r["match"];
            rule.match.needs = read_codes<model::Need>(member(m, "needs"));
            rule.match.requested_services = read_strings(member(m, "requested_services"));
            rule.match.pathways = read_codes<model::Pathway>(member(m, "pathways"));
            rule.match.priorities = read_codes<model::Priority>(member(m, "priorities"));
            rule.match.areas = read_strings(member(m, "areas"));
            rule.match.sources = read_codes<model::ReferralSource>(member(m, "sources"));
            rule.match.from = read_strings(member(m, "from"));
            for (const Value& to : r["recipients"].GetArray())
                rule.recipients.push_back({std::string(view(to["organisation"])), std::string(view(to["service"]))});
        }
    }

    static std::optional<std::string> agreements(const Value& map, std::vector<Agreement>& out) {
        for (const auto& m : map.GetObject()) {
            if (!valid_id(view(m.name)))
                return "agreements." + std::string(view(m.name)) +
                       ": is not a valid agreement id (1 to 64 lower-case letters, digits and '-', starting with a "
                       "letter)";
            Agreement& a = out.emplace_back();
            a.id = std::string(view(m.name));
            a.from = std::string(view(m.value["from"]));
            a.to = std::string(view(m.value["to"]));
            a.purposes = read_strings(&m.value["purposes"]);
            a.lawful_basis.article6 = std::string(view(m.value["lawful_basis"]["article6"]));
            a.lawful_basis.article9 = std::string(view(m.value["lawful_basis"]["article9"]));
            a.profile = std::string(view(m.value["profile"]));
        }
        return std::nullopt;
    }

    static std::optional<std::string> minimisation_profiles(const Value& map, std::vector<MinimisationProfile>& out) {
        for (const auto& m : map.GetObject()) {
            if (!valid_id(view(m.name)))
                return "minimisation_profiles." + std::string(view(m.name)) +
                       ": is not a valid profile id (1 to 64 lower-case letters, digits and '-', starting with a "
                       "letter)";
            out.push_back({std::string(view(m.name)), read_strings(&m.value["fields"])});
        }
        return std::nullopt;
    }

    static bool letter_or_digit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    // A term is matched as a whole word, so it must begin and end with a
    // character that can stand at a word's edge.
    static std::optional<std::string> glossary(const Value& map, std::vector<GlossaryEntry>& out) {
        constexpr std::size_t longest_term = 40;
        for (const auto& m : map.GetObject()) {
            const std::string term(view(m.name));
            const std::string at = "glossary." + term;
            if (term.empty() || !letter_or_digit(term.front()) || !letter_or_digit(term.back()))
                return at + ": a term must begin and end with a letter or digit";
            if (term.size() > longest_term) return at + ": a term is at most 40 characters";
            for (const char c : term)
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return at + ": a term has no control characters";
            out.push_back({term, std::string(view(m.value))});
        }
        return std::nullopt;
    }

    static bool snomed_id(std::string_view id) {
        if (id.size() < 6 || id.size() > 18 || id.front() == '0') return false;
        for (const char c : id)
            if (c < '0' || c > '9') return false;
        return true;
    }

    static TerminologyEntry terminology_entry(std::string key, const Value& v) {
        TerminologyEntry entry;
        entry.key = std::move(key);
        if (auto need = model::parse_code<model::Need>(view(v["need"]))) entry.need = *need;
        if (const Value* service = member(v, "service")) entry.service = std::string(view(*service));
        if (const Value* display = member(v, "display")) entry.display = std::string(view(*display));
        return entry;
    }

    // The phrases' normal form is checked by policy::Terminology::create, which owns it.
    static std::optional<std::string> terminology(const Value& table, Terminology& out) {
        constexpr std::size_t longest_phrase = 200;
        if (const Value* snomed = member(table, "snomed"))
            for (const auto& m : snomed->GetObject()) {
                const std::string id(view(m.name));
                if (!snomed_id(id))
                    return "terminology.snomed." + id +
                           ": is not a SNOMED CT concept id (6 to 18 digits, not starting with 0)";
                out.snomed.push_back(terminology_entry(id, m.value));
            }
        if (const Value* phrases = member(table, "phrases"))
            for (const auto& m : phrases->GetObject()) {
                const std::string phrase(view(m.name));
                if (phrase.size() > longest_phrase)
                    return "terminology.phrases." + phrase.substr(0, 40) + "…: a phrase is at most 200 characters";
                out.phrases.push_back(terminology_entry(phrase, m.value));
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


    // Triage unless the client asks to be refused (the schema allows only these two words).
    static OnUnroutable on_unroutable(const Value& client) {
        const Value* v = member(client, "on_unroutable");
        return v && view(*v) == "reject" ? OnUnroutable::reject : OnUnroutable::triage;
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
            client.on_unroutable = on_unroutable(c);

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
            client.on_unroutable = on_unroutable(c);

            if (auto e = known_organisation(config, at + ".organisation", client.organisation)) return e;
            if (const auto [it, fresh] = subjects.try_emplace(client.subject, i); !fresh)
                return at + ".subject: the same subject as " + indexed("certificate_clients", it->second);
        }
        return std::nullopt;
    }

    const Value& root_;
    const std::string& base_;
};

// The whole of a file, at most `limit` bytes; nullopt with `error` set otherwise.
std::optional<std::string> read_file(const std::string& file, std::size_t limit, std::string& error) {
    std::error_code ec;
    if (fs::is_directory(file, ec)) {
        error = "cannot read " + file + ": it is a directory";
        return std::nullopt;
    }
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) {
        error = "cannot read " + file + ": " + std::strerror(errno);
        return std::nullopt;
    }
    std::string text;
    char chunk[65536];
    std::size_t n = 0;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) {
        text.append(chunk, n);
        if (text.size() > limit) break;
    }
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) {
        error = "cannot read " + file;
        return std::nullopt;
    }
    if (text.size() > limit) {
        error = file + " is over " + std::to_string(limit >> 20) + " MiB; it is not a configuration file";
        return std::nullopt;
    }
    return text;
}

// "terminology": "terminology/westshire.json" is replaced by that file's
// table, so the schema checks it with the rest and names its keys.
std::optional<std::string> read_terminology_file(rapidjson::Document& document, const std::string& base_directory,
                                                 std::string& file) {
    if (!document.IsObject()) return std::nullopt;
    const auto it = document.FindMember("terminology");
    if (it == document.MemberEnd() || !it->value.IsString()) return std::nullopt;
    file = resolve(base_directory, view(it->value));
    std::string error;
    const auto text = read_file(file, max_config_bytes, error);
    if (!text) return "terminology: " + error;
    rapidjson::Document table;
    constexpr unsigned flags =
        rapidjson::kParseCommentsFlag | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;
    table.Parse<flags>(text->data(), text->size());
    if (table.HasParseError())
        return file + ": not valid JSON at " + position(*text, table.GetErrorOffset()) + ": " +
               rapidjson::GetParseError_En(table.GetParseError());
    it->value.CopyFrom(table, document.GetAllocator());
    return std::nullopt;
}

}  // namespace

std::optional<std::string> cross_check(const Config& config) {
    if (auto e = check_services(config)) return e;
    if (auto e = check_rules(config)) return e;
    return check_agreements(config);
}

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
    std::string terminology_file;
    if (auto problem = read_terminology_file(document, base_directory, terminology_file)) {
        error = std::move(*problem);
        return std::nullopt;
    }
    if (auto violation = schema_violation(document)) {
        // A mistake in the table is in its own file: say which.
        if (!terminology_file.empty() && violation->starts_with("terminology."))
            *violation = terminology_file + ": " + *violation;
        error = std::move(*violation);
        return std::nullopt;
    }
    // After the schema: it bounds the depth this recursion walks.
    if (auto repeated = repeated_key(document, "")) {
        if (!terminology_file.empty() && repeated->starts_with("terminology.")) *repeated = terminology_file + ": " + *repeated;
        error = std::move(*repeated);
        return std::nullopt;
    }
    Config config;
    if (auto problem = ConfigReader(document, base_directory).read(config)) {
        if (!terminology_file.empty() && problem->starts_with("terminology.")) *problem = terminology_file + ": " + *problem;
        error = std::move(*problem);
        return std::nullopt;
    }
    config.terminology.source_file = std::move(terminology_file);
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
