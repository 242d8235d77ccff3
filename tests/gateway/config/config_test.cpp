// The configuration loader: the demo partnership, lookups by token, id, ODS
// code and alias, and one line naming the key for every way a file is wrong.

#include "config/config.hpp"
#include "config/config_schema.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace carebridge::gateway::config {
namespace {

namespace fs = std::filesystem;

const std::string source_dir = CAREBRIDGE_SOURCE_DIR;
const std::string fixtures = source_dir + "/tests/gateway/config/fixtures";

::testing::AssertionResult StartsWith(const std::string& text, const std::string& prefix) {
    if (text.starts_with(prefix)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "\n  " << text << "\ndoes not start with\n  " << prefix;
}

// A directory of its own under the system's temp directory, removed afterwards.
class TempDirectory {
public:
    TempDirectory() {
        std::string pattern = (fs::temp_directory_path() / "carebridge-config-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data());
    }
    ~TempDirectory() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }
    fs::path write(const std::string& relative, const std::string& text) const {
        const fs::path file = path_ / relative;
        fs::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << text;
        return file;
    }

private:
    fs::path path_;
};

Config load_demo() {
    std::string error;
    auto config = load_config(source_dir + "/config/demo.json", error);
    EXPECT_TRUE(config) << error;
    return config ? *config : Config{};
}

Roles roles(std::initializer_list<Role> list) {
    Roles out;
    for (Role r : list) out.add(r);
    return out;
}

// A valid configuration on plain HTTP with two organisations, to which each
// test adds or changes one thing.
std::string config_text(std::string_view listener = R"({"plain_http": true})", std::string_view extra = "",
                        std::string_view store = "sqlite:data") {
    std::string text = R"({
  "schema": "carebridge-config/1",
  "listener": )" + std::string(listener) + R"(,
  "store": ")" + std::string(store) + R"(",
  "organisations": {
    "trust": {"ods": "RZZ", "name": "Westshire Mental Health NHS Trust", "type": "trust", "aliases": ["RZY"]},
    "befriend": {"ods": "DBF01", "name": "Northfield Befriending", "type": "vcse"}
  })";
    if (!extra.empty()) text += ",\n  " + std::string(extra);
    return text + "\n}\n";
}

// `text` with the first `from` replaced by `to`.
std::string replaced(std::string text, std::string_view from, std::string_view to) {
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
}

const std::string hash_a = sha256_hex("token-a");
const std::string hash_b = sha256_hex("token-b");

std::string client(std::string_view id, std::string_view organisation, std::string_view roles_json,
                   const std::string& hash) {
    return R"({"id": ")" + std::string(id) + R"(", "organisation": ")" + std::string(organisation) +
           R"(", "roles": )" + std::string(roles_json) + R"(, "token_sha256": ")" + hash + R"("})";
}

// The error for a configuration that must not load.
std::string refusal(const std::string& text, const std::string& base = "/nonexistent") {
    std::string error;
    const auto config = parse_config(text, base, error);
    EXPECT_FALSE(config) << "loaded: " << text;
    EXPECT_EQ(error.find('\n'), std::string::npos) << "not one line: " << error;
    return error;
}

Config accepted(const std::string& text, const std::string& base = "/nonexistent") {
    std::string error;
    auto config = parse_config(text, base, error);
    EXPECT_TRUE(config) << error;
    return config ? *config : Config{};
}

// ---- the demo partnership ----

TEST(DemoConfig, LoadsAsAPlainHttpListenerOnLoopbackWithTheEmbeddedStore) {
    const Config config = load_demo();
    EXPECT_EQ(config.source_file, fs::path(source_dir + "/config/demo.json").lexically_normal().string());
    EXPECT_EQ(config.listener.host, "127.0.0.1");
    EXPECT_EQ(config.listener.port, 8080);
    EXPECT_FALSE(config.listener.tls.enabled);
    EXPECT_EQ(config.store.url, "sqlite:../var/demo");
    EXPECT_EQ(config.store.sqlite_directory, fs::path(source_dir + "/var/demo").lexically_normal().string());
    EXPECT_EQ(config.limits.max_json_body_bytes, Limits{}.max_json_body_bytes);
    for (const char* id : {"trust", "council", "gp", "mind", "befriend"}) EXPECT_TRUE(config.organisation(id)) << id;
}

TEST(DemoConfig, UsesTheOdsCodesOfTheGoldenReferral) {
    const Config config = load_demo();
    EXPECT_EQ(config.organisation("RZZ")->id, "trust");
    EXPECT_EQ(config.organisation("DCN01")->id, "council");
    EXPECT_EQ(config.organisation("DBF01")->id, "befriend");
    EXPECT_EQ(config.organisation("Y99001")->id, "gp");
    EXPECT_EQ(config.organisation("trust")->type, OrganisationType::trust);
    EXPECT_EQ(config.organisation("council")->type, OrganisationType::council);
    EXPECT_EQ(config.organisation("gp")->type, OrganisationType::gp);
    EXPECT_EQ(config.organisation("mind")->type, OrganisationType::vcse);
    EXPECT_EQ(config.organisation("befriend")->type, OrganisationType::vcse);
}

TEST(DemoConfig, EveryDemoTokenMapsToItsOrganisationAndRoles) {
    const Config config = load_demo();
    struct Expected {
        const char* token;
        const char* organisation;
        Roles roles;
    };
    const Expected table[] = {
        {"demo-trust", "trust", roles({Role::submitter})},
        {"demo-council", "council", roles({Role::submitter, Role::partner})},
        {"demo-gp", "gp", roles({Role::submitter})},
        {"demo-mind", "mind", roles({Role::partner})},
        {"demo-befriend", "befriend", roles({Role::partner})},
        {"demo-auditor", "icb", roles({Role::auditor})},
        {"demo-admin", "trust", roles({Role::admin})},
    };
    for (const Expected& e : table) {
        const ApiClient* client = config.client_for_token(e.token);
        ASSERT_TRUE(client) << e.token;
        EXPECT_EQ(client->organisation, e.organisation) << e.token;
        EXPECT_EQ(client->roles, e.roles) << e.token << " has " << to_string(client->roles);
        EXPECT_TRUE(config.organisation(client->organisation)) << e.token;
    }
    EXPECT_EQ(config.clients.size(), std::size(table));
}

TEST(DemoConfig, AWrongTokenMapsToNoClient) {
    const Config config = load_demo();
    EXPECT_EQ(config.client_for_token("demo-nobody"), nullptr);
    EXPECT_EQ(config.client_for_token(""), nullptr);
    EXPECT_EQ(config.client_for_token("DEMO-TRUST"), nullptr);
    EXPECT_EQ(config.client_for_token("demo-trust "), nullptr);
    // The stored hash is not itself a token.
    EXPECT_EQ(config.client_for_token(config.clients.front().token_sha256), nullptr);
}

TEST(DemoConfig, TheFileHoldsNoTokenInClear) {
    std::ifstream in(source_dir + "/config/demo.json");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text.find("\"demo-"), std::string::npos);
}

// ---- lookups ----

TEST(Lookup, FindsAnOrganisationByIdOdsCodeOrAliasWithoutRegardToCase) {
    const Config config = load_demo();
    const Organisation* trust = config.organisation("trust");
    ASSERT_TRUE(trust);
    EXPECT_EQ(trust->ods_code, "RZZ");
    EXPECT_EQ(config.organisation("rzz"), trust);
    EXPECT_EQ(config.organisation("RZY"), trust);  // its former code
    EXPECT_EQ(config.organisation("Westshire Partnership NHS Trust"), trust);  // its former name
    EXPECT_EQ(config.organisation("WESTSHIRE PARTNERSHIP NHS TRUST"), trust);
    EXPECT_EQ(config.organisation("Westshire Mental Health NHS Trust"), nullptr);  // a name is not an alias
    EXPECT_EQ(config.organisation("99Z"), config.organisation("icb"));  // the CCG the ICB replaced
    EXPECT_EQ(config.organisation("nhs westshire ccg"), config.organisation("icb"));
    EXPECT_EQ(config.organisation("RZZX"), nullptr);
    EXPECT_EQ(config.organisation(""), nullptr);
}

TEST(Lookup, FindsACertificateClientBySubject) {
    TempDirectory dir;
    dir.write("tls/server.pem", "certificate");
    dir.write("tls/server.key", "key");
    dir.write("tls/clients-ca.pem", "ca");
    const Config config = accepted(
        config_text(R"({"tls": {"certificate": "tls/server.pem", "private_key": "tls/server.key",
                               "client_ca": "tls/clients-ca.pem", "client_certificates": "optional"}})",
                    R"("certificate_clients": [{"subject": "CN=epr.trust.example,O=Westshire Mental Health NHS Trust",
                                                "organisation": "trust", "roles": ["submitter"], "burst": 50}])"),
        dir.path().string());
    const CertificateClient* client =
        config.client_for_subject("CN=epr.trust.example,O=Westshire Mental Health NHS Trust");
    ASSERT_TRUE(client);
    EXPECT_EQ(client->organisation, "trust");
    EXPECT_EQ(client->roles, roles({Role::submitter}));
    EXPECT_EQ(client->burst, 50);
    EXPECT_EQ(client->rate_per_second, 0);  // the limits' default
    EXPECT_EQ(config.client_for_subject("CN=someone.else"), nullptr);
}

TEST(Lookup, Sha256HexIsLowerCaseHex) {
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Lookup, RolesPrintInTheOrderOfTheAccessLog) {
    EXPECT_EQ(to_string(roles({Role::partner, Role::submitter})), "submitter,partner");
    EXPECT_EQ(to_string(roles({Role::admin})), "admin");
    EXPECT_EQ(to_string(Roles{}), "");
    EXPECT_EQ(to_string(OrganisationType::vcse), "vcse");
}

TEST(Schema, TheBinaryCarriesTheSchemaFileAsItIs) {
    std::ifstream in(source_dir + "/schemas/gateway-config-1.schema.json", std::ios::binary);
    const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(gateway_config_schema(), file);
}

// ---- what loads ----

TEST(Load, AcceptsBothKindsOfComment) {
    const Config config = accepted(R"(// line comment before the document
{
  /* block comment */ "schema": "carebridge-config/1",
  "listener": {"plain_http": true, "port": 0},  // port 0: any free port
  "store": /* inline */ "sqlite:data"
}
// and after it
)");
    EXPECT_EQ(config.listener.port, 0);
    EXPECT_EQ(config.listener.host, "127.0.0.1");
}

TEST(Load, TakesLimitsAndThreadsFromTheFileAndDefaultsForTheRest) {
    const Config config = accepted(config_text(
        R"({"plain_http": true})",
        R"("threads": 3, "limits": {"max_json_body_bytes": 65536, "read_timeout_ms": 2500, "rate_per_second": 0.5})"));
    EXPECT_EQ(config.threads, 3u);
    EXPECT_EQ(config.limits.max_json_body_bytes, 65536u);
    EXPECT_EQ(config.limits.read_timeout, std::chrono::milliseconds(2500));
    EXPECT_EQ(config.limits.rate_per_second, 0.5);
    EXPECT_EQ(config.limits.max_header_bytes, Limits{}.max_header_bytes);
    EXPECT_EQ(config.limits.drain_timeout, Limits{}.drain_timeout);
    EXPECT_EQ(config.limits.min_body_bytes_per_second, 65536u) << "64 KiB/s unless told";
    EXPECT_EQ(config.limits.body_rate_window, std::chrono::seconds(30));
}

TEST(Load, TakesTheBodyRateAndItsWindow) {
    const Config config = accepted(config_text(
        R"({"plain_http": true})", R"("limits": {"min_body_bytes_per_second": 1024, "body_rate_window_ms": 2000})"));
    EXPECT_EQ(config.limits.min_body_bytes_per_second, 1024u);
    EXPECT_EQ(config.limits.body_rate_window, std::chrono::milliseconds(2000));
}

TEST(Load, ResolvesRelativePathsAgainstTheConfigFilesDirectory) {
    TempDirectory dir;
    dir.write("etc/tls/server.pem", "certificate");
    dir.write("etc/tls/server.key", "key");
    dir.write("etc/gateway.json", config_text(R"({"host": "0.0.0.0", "port": 8443,
        "tls": {"certificate": "tls/server.pem", "private_key": "./tls/server.key"}})",
                                              "", "sqlite:../var/store"));
    std::string error;
    // Loaded through a relative path from elsewhere: what it names still resolves beside the file.
    const fs::path cwd = fs::current_path();
    fs::current_path(dir.path() / "etc" / "tls");
    const auto config = load_config("../gateway.json", error);
    fs::current_path(cwd);
    ASSERT_TRUE(config) << error;
    const fs::path etc = fs::canonical(dir.path() / "etc");
    EXPECT_EQ(fs::path(config->source_file), fs::absolute(etc / "gateway.json"));
    EXPECT_TRUE(config->listener.tls.enabled);
    EXPECT_EQ(config->listener.tls.certificate_file, (etc / "tls/server.pem").string());
    EXPECT_EQ(config->listener.tls.private_key_file, (etc / "tls/server.key").string());
    EXPECT_EQ(config->listener.tls.client_certificates, ClientCertificates::none);
    EXPECT_EQ(config->store.sqlite_directory, (etc.parent_path() / "var/store").string());
}

TEST(Load, EachClientTriagesUnroutableReferralsUnlessItAsksToBeRefused) {
    std::string reject = client("b", "trust", R"(["submitter"])", hash_b);
    reject.insert(reject.size() - 1, R"(, "on_unroutable": "reject")");
    const Config config = accepted(config_text(R"({"plain_http": true})",
                                               R"("clients": [)" + client("a", "trust", R"(["submitter"])", hash_a) +
                                                   ", " + reject + R"(], "triage": {"escalate_after_seconds": 600})"),
                                   "/etc/carebridge");
    ASSERT_EQ(config.clients.size(), 2u);
    EXPECT_EQ(config.clients[0].on_unroutable, OnUnroutable::triage);
    EXPECT_EQ(config.clients[1].on_unroutable, OnUnroutable::reject);
    EXPECT_EQ(config.triage_escalate_after, std::chrono::seconds(600));
    EXPECT_EQ(accepted(config_text(), "/etc/carebridge").triage_escalate_after, std::chrono::hours(4))
        << "four hours unless configured";

    std::string unknown = client("a", "trust", R"(["submitter"])", hash_a);
    unknown.insert(unknown.size() - 1, R"(, "on_unroutable": "bounce")");
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true})", R"("clients": [)" + unknown + "]")),
              R"(clients[0].on_unroutable: "bounce" is not one of triage, reject)");
    EXPECT_TRUE(StartsWith(
        refusal(config_text(R"({"plain_http": true})", R"("triage": {"escalate_after_seconds": -1})")),
        "triage.escalate_after_seconds"));
    EXPECT_TRUE(StartsWith(refusal(config_text(R"({"plain_http": true})", R"("triage": {"after": 1})")),
                           "triage.after: unknown key"));
}

TEST(Load, TakesAPostgresqlStoreAndItsOutboxLease) {
    const Config shared = accepted(config_text(R"({"plain_http": true})", R"("outbox_lease_seconds": 45)",
                                               "postgresql://db.internal:5432/carebridge?user=gateway"),
                                   "/etc/carebridge");
    EXPECT_EQ(shared.store.postgresql_url, "postgresql://db.internal:5432/carebridge?user=gateway");
    EXPECT_EQ(shared.store.sqlite_directory, "");  // the instance's own directory comes from --data
    EXPECT_EQ(shared.store.outbox_lease, std::chrono::seconds(45));
    const Config embedded = accepted(config_text(), "/etc/carebridge");
    EXPECT_EQ(embedded.store.postgresql_url, "");
    EXPECT_EQ(embedded.store.outbox_lease, std::chrono::seconds(120));
}

TEST(Load, KeepsAbsolutePathsAsTheyAre) {
    TempDirectory dir;
    const fs::path certificate = dir.write("server.pem", "certificate");
    const fs::path key = dir.write("server.key", "key");
    const Config config = accepted(config_text(R"({"tls": {"certificate": ")" + certificate.string() +
                                                   R"(", "private_key": ")" + key.string() + R"("}})",
                                               "", "sqlite:" + (dir.path() / "store").string()),
                                   "/somewhere/else");
    EXPECT_EQ(config.listener.tls.certificate_file, certificate.string());
    EXPECT_EQ(config.store.sqlite_directory, (dir.path() / "store").string());
}

// ---- what is refused, and the key each message names ----

TEST(Refuse, AnUnknownTopLevelKey) {
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true})", R"("listners": [])")),
              "listners: unknown key (expected one of schema, listener, threads, work_threads, payload_retention_days, limits, store, "
              "outbox_lease_seconds, organisations, "
              "clients, certificate_clients, policy_version, routing_rules, agreements, minimisation_profiles, "
              "escalation, triage, glossary, terminology)");
}

TEST(Refuse, AnUnknownNestedKey) {
    EXPECT_TRUE(StartsWith(refusal(config_text(R"({"tls": {"certficate": "a.pem", "private_key": "a.key"}})")),
                           "listener.tls.certficate: unknown key (expected one of certificate, private_key, "));
    EXPECT_TRUE(StartsWith(refusal(config_text(R"({"plain_http": true})", R"("limits": {"max_body_bytes": 10})")),
                           "limits.max_body_bytes: unknown key"));
    EXPECT_TRUE(StartsWith(refusal(config_text(R"({"plain_http": true})",
                                    R"("clients": [)" + client("a", "trust", R"(["submitter"])", hash_a).insert(1, R"("token": "x", )") + "]")),
                           "clients[0].token: unknown key"));
}

TEST(Refuse, AValueOutsideAnEnum) {
    const std::string clients = R"("clients": [)" + client("a", "trust", R"(["submitter"])", hash_a) + ", " +
                                client("b", "trust", R"(["partner"])", hash_b) + ", " +
                                client("c", "trust", R"(["reader"])", sha256_hex("token-c")) + "]";
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true})", clients)),
              R"(clients[2].roles[0]: "reader" is not one of submitter, partner, auditor, admin)");
    std::string text = config_text();
    text = replaced(text, R"("type": "vcse")", R"("type": "charity")");
    EXPECT_EQ(refusal(text),
              R"(organisations.befriend.type: "charity" is not one of trust, council, gp, vcse, icb)");
    text = config_text();
    text = replaced(text, "carebridge-config/1", "carebridge-config/2");
    EXPECT_EQ(refusal(text),
              R"(schema: "carebridge-config/2" is not one of carebridge-config/1)");
}

TEST(Refuse, APortOutOfRange) {
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true, "port": 70000})")),
              "listener.port: must be an integer from 0 to 65535, found 70000");
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true, "port": -1})")),
              "listener.port: must be an integer from 0 to 65535, found -1");
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true, "port": "8080"})")),
              "listener.port: must be an integer from 0 to 65535, found a string");
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true, "port": 80.5})")),
              "listener.port: must be an integer from 0 to 65535, found a number");
}

TEST(Refuse, AListenerWithNeitherTlsNorPlainHttp) {
    EXPECT_TRUE(StartsWith(refusal(config_text("{}")), "listener.tls: is required (or \"plain_http\": true"));
    EXPECT_TRUE(StartsWith(refusal(config_text(R"({"plain_http": false})")), "listener.tls: is required"));
    EXPECT_TRUE(StartsWith(refusal(config_text(R"({"plain_http": "yes"})")),
                           "listener.plain_http: must be true or false, found a string"));
}

TEST(Refuse, AListenerWithBothTlsAndPlainHttp) {
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true, "tls": {"certificate": "a", "private_key": "b"}})")),
              "listener: has both tls and plain_http: true; choose one");
}

TEST(Refuse, AClientOfAnUnknownOrganisation) {
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true})",
                                  R"("clients": [)" + client("a", "nowhere", R"(["submitter"])", hash_a) + "]")),
              R"(clients[0].organisation: "nowhere" is not one of the organisations)");
    // An ODS code where the id belongs: say which id was meant.
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true})",
                                  R"("clients": [)" + client("a", "RZZ", R"(["submitter"])", hash_a) + "]")),
              R"(clients[0].organisation: "RZZ" is not one of the organisations (it names "trust"; use the id))");
}

TEST(Refuse, TwoClientsWithOneToken) {
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true})",
                                  R"("clients": [)" + client("a", "trust", R"(["submitter"])", hash_a) + ", " +
                                      client("b", "befriend", R"(["partner"])", hash_a) + "]")),
              "clients[1].token_sha256: the same token as clients[0] (a); each client needs its own token");
}

TEST(Refuse, TwoClientsWithOneId) {
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true})",
                                  R"("clients": [)" + client("a", "trust", R"(["submitter"])", hash_a) + ", " +
                                      client("a", "befriend", R"(["partner"])", hash_b) + "]")),
              R"(clients[1].id: "a" is already the id of clients[0])");
}

TEST(Refuse, ATokenHashThatIsNotLowerCaseHexSha256) {
    for (const std::string& bad : {std::string("DEMO"), sha256_hex("x").substr(1), sha256_hex("x") + "0",
                                  [] {
                                      std::string upper = sha256_hex("x");
                                      for (char& c : upper) c = static_cast<char>(std::toupper(c));
                                      return upper;
                                  }()}) {
        EXPECT_TRUE(StartsWith(refusal(config_text(R"({"plain_http": true})",
                                        R"("clients": [)" + client("a", "trust", R"(["submitter"])", bad) + "]")),
                               "clients[0].token_sha256: \"" + bad.substr(0, 8)))
            << bad;
    }
}

TEST(Refuse, AMissingTlsFile) {
    TempDirectory dir;
    dir.write("server.pem", "certificate");
    const std::string error = refusal(
        config_text(R"({"tls": {"certificate": "server.pem", "private_key": "missing.key"}})"), dir.path().string());
    EXPECT_EQ(error, "listener.tls.private_key: cannot read " + (dir.path() / "missing.key").string() +
                         ": No such file or directory");
    EXPECT_EQ(refusal(config_text(R"({"tls": {"certificate": ".", "private_key": "server.pem"}})"), dir.path().string()),
              "listener.tls.certificate: " + dir.path().string() + "/ is a directory, not a file");
}

TEST(Refuse, ClientCertificatesWithoutAClientCa) {
    TempDirectory dir;
    dir.write("server.pem", "certificate");
    dir.write("server.key", "key");
    EXPECT_EQ(refusal(config_text(R"({"tls": {"certificate": "server.pem", "private_key": "server.key",
                                             "client_certificates": "required"}})"),
                      dir.path().string()),
              R"(listener.tls.client_ca: is required when client_certificates is "required")");
}

TEST(Refuse, CertificateClientsWhenNoCertificateIsAskedFor) {
    EXPECT_TRUE(StartsWith(refusal(config_text(R"({"plain_http": true})",
                                    R"("certificate_clients": [{"subject": "CN=a", "organisation": "trust", "roles": ["submitter"]}])")),
                           "certificate_clients: listed, but listener.tls.client_certificates is not"));
}

TEST(Refuse, AnOdsCodeOrAliasThatLeadsToTwoOrganisations) {
    std::string text = config_text();
    text = replaced(text, R"("ods": "DBF01")", R"("ods": "DBF01", "aliases": ["rzy"])");
    EXPECT_EQ(refusal(text), R"(organisations.befriend.aliases[0]: "rzy" already names organisation "trust" )"
                             R"((organisations.trust.aliases[0]); an id, ODS code or alias must lead to one organisation)");
    text = config_text();
    text = replaced(text, R"("ods": "DBF01")", R"("ods": "RZZ")");
    EXPECT_TRUE(StartsWith(refusal(text), R"(organisations.befriend.ods: "RZZ" already names organisation "trust")"));
}

TEST(Refuse, AnOrganisationIdThatIsNotAnId) {
    std::string text = config_text();
    text = replaced(text, R"("befriend":)", R"("Befriend":)");
    EXPECT_TRUE(StartsWith(refusal(text), "organisations.Befriend: is not a valid organisation id"));
}

TEST(Refuse, AMissingRequiredKey) {
    std::string text = config_text();
    text = replaced(text, R"("store": "sqlite:data",)", "");
    EXPECT_EQ(refusal(text), "store: is required");
    EXPECT_EQ(refusal(config_text(R"({"tls": {"certificate": "a.pem"}})")), "listener.tls.private_key: is required");
    text = config_text();
    text = replaced(text, R"(, "type": "vcse")", "");
    EXPECT_EQ(refusal(text), "organisations.befriend.type: is required");
}

TEST(Refuse, AValueOfTheWrongType) {
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true})", R"("threads": "four")")),
              "threads: must be an integer from 0 to 1024, found a string");
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true})", R"("limits": {"rate_per_second": 0})")),
              "limits.rate_per_second: must be a number above 0 and at most 1000000, found 0");
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true})",
                                  R"("clients": [)" + client("a", "trust", "[]", hash_a) + "]")),
              "clients[0].roles: must list at least 1");
    EXPECT_EQ(refusal("[]"), "top level: must be an object, found an array");
}

TEST(Refuse, AValueNotInTheFormItsKeyNeeds) {
    EXPECT_EQ(refusal(replaced(config_text(), R"("ods": "RZZ")", R"("ods": "rzz")")),
              R"(organisations.trust.ods: "rzz" does not match ^[A-Z0-9]{3,12}$ (An ODS organisation code: 3 to 12 )"
              R"(upper-case letters and digits, e.g. RZZ, Y99001.))");
    EXPECT_TRUE(StartsWith(refusal(config_text(R"({"plain_http": true})",
                                               R"("clients": [)" + client("trust epr", "trust", R"(["submitter"])", hash_a) + "]")),
                           R"(clients[0].id: "trust epr" does not match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$)"));
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true, "host": ""})")), "listener.host: must not be empty");
}

TEST(Refuse, AKeyGivenTwice) {
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true, "port": 1, "port": 2})")),
              "listener.port: appears twice in one object");
}

TEST(Refuse, AStoreItCannotUse) {
    const std::string_view plain = R"({"plain_http": true})";
    // A password in the config would travel with every copy of it; libpq reads one from the environment.
    EXPECT_EQ(refusal(config_text(plain, "", "postgresql://gateway:secret@db/carebridge")),
              "store: the PostgreSQL URL holds a password; give it in PGPASSWORD or a PGPASSFILE instead");
    EXPECT_EQ(refusal(config_text(plain, "", "postgresql://db/carebridge?user=gateway&password=secret")),
              "store: the PostgreSQL URL holds a password; give it in PGPASSWORD or a PGPASSFILE instead");
    EXPECT_EQ(refusal(config_text(plain, "", "sqlite:")),
              "store: \"sqlite:\" needs a directory, e.g. \"sqlite:/var/lib/carebridge\"");
    EXPECT_EQ(refusal(config_text(plain, "", "/var/lib/carebridge")),
              "store: \"/var/lib/carebridge\" is not a store this gateway knows; use \"sqlite:DIR\" or "
              "\"postgresql://…\"");
}

TEST(Refuse, TextThatIsNotJson) {
    EXPECT_EQ(refusal("listener: 8080\n"), "not valid JSON at line 1, column 1 (byte 0): Invalid value.");
    EXPECT_EQ(refusal("{\n  \"schema\": \"carebridge-config/1\"\n  \"store\": 1\n}"),
              "not valid JSON at line 3, column 3 (byte 38): Missing a comma or '}' after an object member.");
    EXPECT_EQ(refusal(""), "not valid JSON at line 1, column 1 (byte 0): The document is empty.");
    EXPECT_TRUE(StartsWith(refusal(config_text() + "{}"), "not valid JSON at line "));
}

TEST(Refuse, AFileThatIsNotThere) {
    std::string error;
    EXPECT_FALSE(load_config("/nonexistent/carebridge.json", error));
    EXPECT_EQ(error, "cannot read /nonexistent/carebridge.json: No such file or directory");
}

TEST(Refuse, EachFixtureWithTheKeyItNames) {
    // Whole files as an operator would write them, with the line each must produce.
    const std::pair<const char*, const char*> cases[] = {
        {"unknown_nested_key.json", "limits.max_body: unknown key"},
        {"bad_role.json", R"(clients[1].roles[1]: "reader" is not one of submitter, partner, auditor, admin)"},
    };
    for (const auto& [file, expected] : cases) {
        std::string error;
        EXPECT_FALSE(load_config(fixtures + "/" + file, error)) << file;
        EXPECT_TRUE(StartsWith(error, expected)) << file;
    }
}

// ---- the directory: services, endpoints, rules, agreements, profiles, glossary ----

// config_text() with befriend running `services` (an object's members) and the
// policy sections after it.
std::string with_services(std::string_view services, std::string_view extra = "", std::string_view befriend_more = "") {
    std::string text = config_text(R"({"plain_http": true})", extra);
    return replaced(text, R"("name": "Northfield Befriending", "type": "vcse"})",
                    R"("name": "Northfield Befriending", "type": "vcse", "services": {)" + std::string(services) + "}" +
                        std::string(befriend_more) + "}");
}

const std::string befriending = R"("befriending": {"name": "Befriending", "status": "open"})";

// A rule, an agreement and a profile that fit together, for tests that break one.
const std::string policy = R"~("policy_version": "7",
  "routing_rules": [{"id": "lonely", "match": {"needs": ["isolation"]},
                     "recipients": [{"organisation": "befriend", "service": "befriending"}]}],
  "agreements": {"trust-befriend": {"from": "trust", "to": "befriend", "purposes": ["direct-care"],
                 "lawful_basis": {"article6": "6(1)(e)", "article9": "9(2)(h)"}, "profile": "vcse"}},
  "minimisation_profiles": {"vcse": {"fields": ["person.name", "referral.needs"]}})~";

TEST(DemoConfig, NamesTheServicesRulesAgreementsAndProfilesOfTheSampleReferral) {
    const Config config = load_demo();
    const Organisation* befriend = config.organisation("befriend");
    ASSERT_TRUE(befriend);
    const Service* befriending = befriend->service("befriending");
    ASSERT_TRUE(befriending);
    EXPECT_EQ(befriending->status, ServiceStatus::open);
    EXPECT_EQ(befriending->criteria.needs, std::vector<model::Need>{model::Need::isolation});
    EXPECT_FALSE(befriend->endpoint);  // it reads its inbox
    EXPECT_EQ(befriend->format, translation::Format::referral);
    EXPECT_EQ(config.organisation("mind")->service("peer-support")->status, ServiceStatus::open);
    EXPECT_EQ(config.organisation("mind")->service("crisis-cafe")->status, ServiceStatus::closed);
    EXPECT_FALSE(config.policy_version.empty());
    ASSERT_EQ(config.routing_rules.size(), 2u);
    EXPECT_EQ(config.routing_rules[0].match.needs, std::vector<model::Need>{model::Need::isolation});
    EXPECT_EQ(config.routing_rules[1].match.requested_services, std::vector<std::string>{"befriending"});
    const Agreement* agreement = config.agreement("trust-befriend-direct-care");
    ASSERT_TRUE(agreement);
    EXPECT_EQ(agreement->from, "trust");
    EXPECT_EQ(agreement->to, "befriend");
    EXPECT_EQ(agreement->purposes, std::vector<std::string>{"direct-care"});
    EXPECT_EQ(agreement->lawful_basis.article6, "6(1)(e)");
    EXPECT_EQ(agreement->lawful_basis.article9, "9(2)(h)");
    const MinimisationProfile* profile = config.minimisation_profile(agreement->profile);
    ASSERT_TRUE(profile);
    for (const char* never : {"diagnoses", "admissions", "referral.notes", "contacts", "referral"})
        EXPECT_EQ(std::count(profile->fields.begin(), profile->fields.end(), never), 0) << never;
    EXPECT_TRUE(config.agreement("trust-mind-direct-care"));
    EXPECT_FALSE(config.glossary.empty());
    EXPECT_EQ(config.glossary.front().term, "CPA");
    EXPECT_EQ(config.glossary.front().expansion, "Care Programme Approach");
}

TEST(Load, ReadsServicesWithTheirCriteriaAndContact) {
    const Config config = accepted(with_services(R"("befriending": {"name": "Befriending", "status": "paused",
        "criteria": {"needs": ["isolation", "carer-support"], "min_age": 18, "max_age": 99,
                     "postcode_districts": ["NF6", "WS10"], "gp_practices": ["Y99001"], "pathways": ["light-touch"]},
        "contact": {"name": "Jo Hartley", "phone": "0113 496 0200", "email": "jo@befriend.example"}},
      "visiting": {"name": "Home visiting", "status": "closed"})", "", R"(, "format": "fhir")"));
    const Organisation* befriend = config.organisation("befriend");
    ASSERT_EQ(befriend->services.size(), 2u);
    const Service& s = befriend->services[0];
    EXPECT_EQ(s.id, "befriending");
    EXPECT_EQ(s.status, ServiceStatus::paused);
    EXPECT_EQ(s.criteria.needs, (std::vector<model::Need>{model::Need::isolation, model::Need::carer_support}));
    EXPECT_EQ(s.criteria.min_age, 18);
    EXPECT_EQ(s.criteria.max_age, 99);
    EXPECT_EQ(s.criteria.postcode_districts, (std::vector<std::string>{"NF6", "WS10"}));
    EXPECT_EQ(s.criteria.gp_practices, std::vector<std::string>{"Y99001"});
    EXPECT_EQ(s.criteria.pathways, std::vector<model::Pathway>{model::Pathway::light_touch});
    EXPECT_EQ(s.contact.name, "Jo Hartley");
    EXPECT_EQ(s.contact.email, "jo@befriend.example");
    EXPECT_EQ(befriend->services[1].status, ServiceStatus::closed);
    EXPECT_EQ(befriend->service("Home Visiting"), &befriend->services[1]);  // by name, as FHIR gives it
    EXPECT_EQ(befriend->format, translation::Format::fhir);
    EXPECT_EQ(to_string(ServiceStatus::paused), "paused");
}

TEST(Load, ReadsAnEndpointWithItsTokenVariableAndFiles) {
    TempDirectory dir;
    dir.write("tls/client.pem", "certificate");
    dir.write("tls/client.key", "key");
    dir.write("tls/partner-ca.pem", "ca");
    ::setenv("CAREBRIDGE_TEST_BEFRIEND_TOKEN", "secret", 1);
    const Config config = accepted(
        with_services(befriending, "", R"(, "endpoint": {"url": "https://befriend.example/referrals", "format": "fhir",
            "bearer_token_env": "CAREBRIDGE_TEST_BEFRIEND_TOKEN", "client_certificate": "tls/client.pem",
            "client_key": "tls/client.key", "ca": "tls/partner-ca.pem"})"),
        dir.path().string());
    const auto& endpoint = config.organisation("befriend")->endpoint;
    ASSERT_TRUE(endpoint);
    EXPECT_EQ(endpoint->url, "https://befriend.example/referrals");
    EXPECT_EQ(endpoint->format, translation::Format::fhir);
    EXPECT_EQ(endpoint->bearer_token_env, "CAREBRIDGE_TEST_BEFRIEND_TOKEN");
    EXPECT_EQ(endpoint->client_certificate_file, (dir.path() / "tls/client.pem").string());
    EXPECT_EQ(endpoint->client_key_file, (dir.path() / "tls/client.key").string());
    EXPECT_EQ(endpoint->ca_file, (dir.path() / "tls/partner-ca.pem").string());
    EXPECT_FALSE(endpoint->allow_plain_http);
    // Plain HTTP only when the file says so, for tests on loopback.
    const Config plain = accepted(with_services(
        befriending, "", R"(, "endpoint": {"url": "http://127.0.0.1:9000/in", "format": "referral", "allow_plain_http": true})"));
    EXPECT_TRUE(plain.organisation("befriend")->endpoint->allow_plain_http);
}

TEST(Load, ReadsRulesAgreementsProfilesAndTheGlossary) {
    const Config config = accepted(with_services(befriending, policy + R"(,
  "glossary": {"CPA": "Care Programme Approach", "A&E": "Accident and Emergency"})"));
    EXPECT_EQ(config.policy_version, "7");
    ASSERT_EQ(config.routing_rules.size(), 1u);
    EXPECT_EQ(config.routing_rules[0].id, "lonely");
    EXPECT_EQ(config.routing_rules[0].recipients[0].organisation, "befriend");
    EXPECT_EQ(config.routing_rules[0].recipients[0].service, "befriending");
    ASSERT_EQ(config.agreements.size(), 1u);
    EXPECT_EQ(config.agreements[0].profile, "vcse");
    ASSERT_EQ(config.minimisation_profiles.size(), 1u);
    EXPECT_EQ(config.minimisation_profiles[0].fields, (std::vector<std::string>{"person.name", "referral.needs"}));
    ASSERT_EQ(config.glossary.size(), 2u);
    EXPECT_EQ(config.glossary[1].term, "A&E");
    EXPECT_FALSE(cross_check(config));
}

TEST(Refuse, ABadService) {
    EXPECT_EQ(refusal(with_services(R"("befriending": {"name": "Befriending", "status": "shut"})")),
              R"(organisations.befriend.services.befriending.status: "shut" is not one of open, paused, closed)");
    EXPECT_TRUE(StartsWith(refusal(with_services(R"("befriending": {"name": "B", "status": "open", "criteria": {"ages": 1}})")),
                           "organisations.befriend.services.befriending.criteria.ages: unknown key (expected one of needs, "));
    EXPECT_TRUE(StartsWith(
        refusal(with_services(R"("befriending": {"name": "B", "status": "open", "criteria": {"needs": ["loneliness"]}})")),
        R"(organisations.befriend.services.befriending.criteria.needs[0]: "loneliness" is not one of food, medication, isolation)"));
    EXPECT_TRUE(StartsWith(
        refusal(with_services(R"("befriending": {"name": "B", "status": "open", "criteria": {"postcode_districts": ["NF6 2QT"]}})")),
        R"(organisations.befriend.services.befriending.criteria.postcode_districts[0]: "NF6 2QT" does not match)"));
    EXPECT_EQ(refusal(with_services(R"("befriending": {"name": "B", "status": "open", "criteria": {"min_age": 30, "max_age": 20}})")),
              "organisations.befriend.services.befriending.criteria.min_age: 30 is above max_age 20");
    EXPECT_TRUE(StartsWith(refusal(with_services(R"("Befriending": {"name": "B", "status": "open"})")),
                           "organisations.befriend.services.Befriending: is not a valid service id"));
    EXPECT_EQ(refusal(with_services(R"("befriending": {"name": "B", "status": "open", "contact": {"phone": "1"}})")),
              "organisations.befriend.services.befriending.contact.name: is required");
}

TEST(Refuse, AnEndpointThatIsNotSafeOrComplete) {
    const auto endpoint = [](std::string_view json) {
        return refusal(with_services(befriending, "", R"(, "endpoint": )" + std::string(json)));
    };
    EXPECT_EQ(endpoint(R"({"url": "http://befriend.example/in", "format": "fhir"})"),
              R"(organisations.befriend.endpoint.url: "http://befriend.example/in" is plain HTTP; referrals are sent )"
              R"(over https:// only ("allow_plain_http": true is for tests on loopback))");
    EXPECT_EQ(endpoint(R"({"url": "ftp://befriend.example/in", "format": "fhir"})"),
              R"(organisations.befriend.endpoint.url: "ftp://befriend.example/in" must start with https://)");
    EXPECT_EQ(endpoint(R"({"url": "https:///in", "format": "fhir"})"),
              R"(organisations.befriend.endpoint.url: "https:///in" names no host)");
    EXPECT_EQ(endpoint(R"({"url": "https://befriend.example/in"})"), "organisations.befriend.endpoint.format: is required");
    ::unsetenv("CAREBRIDGE_TEST_UNSET_TOKEN");
    EXPECT_EQ(endpoint(R"({"url": "https://befriend.example/in", "format": "fhir", "bearer_token_env": "CAREBRIDGE_TEST_UNSET_TOKEN"})"),
              "organisations.befriend.endpoint.bearer_token_env: the environment variable CAREBRIDGE_TEST_UNSET_TOKEN "
              "is not set; it must hold the bearer token for this endpoint");
    EXPECT_TRUE(StartsWith(endpoint(R"({"url": "https://b.example/in", "format": "fhir", "bearer_token": "secret"})"),
                           "organisations.befriend.endpoint.bearer_token: unknown key"));
    EXPECT_EQ(endpoint(R"({"url": "https://b.example/in", "format": "fhir", "client_certificate": "c.pem"})"),
              "organisations.befriend.endpoint.client_key: is required with client_certificate");
    EXPECT_EQ(endpoint(R"({"url": "https://b.example/in", "format": "fhir", "ca": "/nonexistent/ca.pem"})"),
              "organisations.befriend.endpoint.ca: cannot read /nonexistent/ca.pem: No such file or directory");
}

TEST(Refuse, ARuleThatNamesWhatIsNotThere) {
    const std::string rule_to = R"("policy_version": "7", "routing_rules": [{"id": "r", "match": {"needs": ["isolation"]},
        "recipients": [{"organisation": "befriend", "service": "befriending"}, )";
    EXPECT_EQ(refusal(with_services(befriending, rule_to + R"({"organisation": "befriend", "service": "gardening"}]}])")),
              R"(routing_rules[0].recipients[1].service: "gardening" is not a service of "befriend" (its services: befriending))");
    EXPECT_EQ(refusal(with_services(befriending, rule_to + R"({"organisation": "mind", "service": "x"}]}])")),
              R"(routing_rules[0].recipients[1].organisation: "mind" is not one of the organisations)");
    EXPECT_EQ(refusal(with_services(befriending, R"("policy_version": "7", "routing_rules": [{"id": "r", "match": {},
        "recipients": [{"organisation": "befriend", "service": "befriending"}]}])")),
              "routing_rules[0].match: names no condition; a rule must say which referrals it takes");
    EXPECT_EQ(refusal(with_services(befriending, R"("policy_version": "7", "routing_rules": [{"id": "r", "match": {"from": ["RZZ"]},
        "recipients": [{"organisation": "befriend", "service": "befriending"}]}])")),
              R"(routing_rules[0].match.from[0]: "RZZ" is not one of the organisations (it names "trust"; use the id))");
    EXPECT_EQ(refusal(with_services(befriending, R"("policy_version": "7", "routing_rules": [
        {"id": "r", "match": {"needs": ["isolation"]}, "recipients": [{"organisation": "befriend", "service": "befriending"}]},
        {"id": "r", "match": {"needs": ["food"]}, "recipients": [{"organisation": "befriend", "service": "befriending"}]}])")),
              R"(routing_rules[1].id: "r" is already the id of routing_rules[0])");
    EXPECT_TRUE(StartsWith(refusal(with_services(befriending, R"("policy_version": "7", "routing_rules": [{"id": "r",
        "match": {"priorities": ["urgent"]}, "recipients": [{"organisation": "befriend", "service": "befriending"}]}])")),
                           R"(routing_rules[0].match.priorities[0]: "urgent" is not one of green, amber, red)"));
}

TEST(Refuse, AnAgreementThatDoesNotFit) {
    EXPECT_EQ(refusal(with_services(befriending, replaced(policy, R"("profile": "vcse")", R"("profile": "everything")"))),
              R"(agreements.trust-befriend.profile: "everything" is not one of the minimisation_profiles)");
    EXPECT_EQ(refusal(with_services(befriending, replaced(policy, R"("to": "befriend")", R"("to": "mind")"))),
              R"(agreements.trust-befriend.to: "mind" is not one of the organisations)");
    EXPECT_TRUE(StartsWith(refusal(with_services(befriending, replaced(policy, "6(1)(e)", "6(1)(z)"))),
                           R"~(agreements.trust-befriend.lawful_basis.article6: "6(1)(z)" is not one of 6(1)(a))~"));
    EXPECT_EQ(refusal(with_services(befriending, replaced(policy, R"("purposes": ["direct-care"])", R"("purposes": [])"))),
              "agreements.trust-befriend.purposes: must list at least 1");
    EXPECT_EQ(refusal(with_services(befriending, policy + R"(,
      "agreements": {})")),
              "agreements: appears twice in one object");
    const std::string second = replaced(policy, R"("profile": "vcse"}})", R"~("profile": "vcse"},
      "trust-befriend-again": {"from": "trust", "to": "befriend", "purposes": ["safeguarding", "direct-care"],
                               "lawful_basis": {"article6": "6(1)(e)", "article9": "9(2)(h)"}, "profile": "vcse"}})~");
    EXPECT_EQ(refusal(with_services(befriending, second)),
              R"(agreements.trust-befriend-again.purposes: "direct-care" from "trust" to "befriend" is already covered )"
              R"(by agreements.trust-befriend; one agreement per pair and purpose)");
    EXPECT_EQ(refusal(with_services(befriending, replaced(policy, R"("policy_version": "7",)", ""))),
              "policy_version: is required with routing_rules or agreements; every policy decision records it");
}

TEST(Refuse, AProfileFieldOrGlossaryTermItCannotUse) {
    EXPECT_TRUE(StartsWith(refusal(with_services(befriending, replaced(policy, R"("person.name", )", R"("person.shoe_size", )"))),
                           R"(minimisation_profiles.vcse.fields[0]: "person.shoe_size" is not one of person, person.local_id)"));
    EXPECT_EQ(refusal(with_services(befriending, replaced(policy, R"("referral.needs"])", R"("referral.needs", "person.name"])"))),
              "minimisation_profiles.vcse.fields[2]: lists the same value twice");
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true})", R"~("glossary": {"(CPA)": "Care Programme Approach"})~")),
              "glossary.(CPA): a term must begin and end with a letter or digit");
    EXPECT_EQ(refusal(config_text(R"({"plain_http": true})", R"("glossary": {"CPA": ""})")), "glossary.CPA: must not be empty");
}

}  // namespace

TEST(TokenHashing, IsSha256AndAClientWithoutAFullHashMatchesNoToken) {
    // FIPS 180-2's test vector: the digest the config's token_sha256 holds.
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    Config config;
    ApiClient empty;
    empty.id = "no-hash";
    empty.organisation = "trust";
    empty.roles.add(Role::admin);
    config.clients.push_back(empty);  // an empty hash is what a failed digest would give
    bool hashing_failed = false;
    EXPECT_EQ(config.client_for_token("", &hashing_failed), nullptr);
    EXPECT_EQ(config.client_for_token("anything", &hashing_failed), nullptr);
    EXPECT_FALSE(hashing_failed);  // OpenSSL worked: the token simply belongs to nobody
}

}  // namespace carebridge::gateway::config
