#pragma once
// The gateway's configuration: one JSON file (comments allowed), validated
// against schemas/gateway-config-1.schema.json at start and on SIGHUP. Unknown
// keys and bad values stop the start with a message naming the key. Tokens are
// held only as SHA-256 hashes; certificates and keys are files it names.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/options.hpp"
#include "model/codes.hpp"
#include "model/record.hpp"
#include "translation/format.hpp"

namespace carebridge::gateway::config {

enum class OrganisationType { trust, council, gp, vcse, icb };
std::string_view to_string(OrganisationType type);

// Roles as a bit set: a client may hold several (the council submits and receives).
enum class Role : unsigned { submitter = 1, partner = 2, auditor = 4, admin = 8 };
std::string_view to_string(Role role);
struct Roles {
    unsigned bits = 0;
    bool has(Role role) const { return (bits & static_cast<unsigned>(role)) != 0; }
    void add(Role role) { bits |= static_cast<unsigned>(role); }
    bool operator==(const Roles&) const = default;
};
// "submitter,partner" — for the access log.
std::string to_string(Roles roles);

// open takes referrals; paused (e.g. a waiting list shut for now) and closed take none.
enum class ServiceStatus { open, paused, closed };
std::string_view to_string(ServiceStatus status);

// Who a service takes. Every criterion given must hold; an empty list or an
// absent age means "any". gateway/policy/criteria.hpp applies them.
struct ServiceCriteria {
    std::vector<model::Need> needs;               // the referral names at least one of these
    std::optional<int> min_age;                   // whole years
    std::optional<int> max_age;
    std::vector<std::string> postcode_districts;  // outward codes, upper case: "NF6"
    std::vector<std::string> gp_practices;        // ODS codes; with districts too, either is enough
    std::vector<model::Pathway> pathways;
};

// The person a submitter can talk to about a service.
struct ServiceContactPoint {
    std::string name;
    std::string phone;
    std::string email;
};

struct Service {
    std::string id;  // the key under the organisation's "services": "befriending"
    std::string name;
    ServiceStatus status = ServiceStatus::open;
    ServiceCriteria criteria;
    ServiceContactPoint contact;
};

// A partner's push endpoint (webhook). The bearer token is read from the
// environment variable it names when a delivery is made, so the file never holds it.
struct Endpoint {
    std::string url;  // https:// unless allow_plain_http
    translation::Format format = translation::Format::referral;
    std::string bearer_token_env;         // empty: no Authorization header
    std::string client_certificate_file;  // PEM, resolved; with client_key_file or neither
    std::string client_key_file;
    std::string ca_file;  // PEM, resolved; empty: the system's trust store
    bool allow_plain_http = false;
};

struct Organisation {
    std::string id;                // the config's short id: "trust", "befriend"
    std::string ods_code;          // e.g. "RZZ"
    std::string name;
    OrganisationType type = OrganisationType::vcse;
    std::vector<std::string> aliases;  // former names and ODS codes that resolve here
    std::vector<Service> services;     // in the file's order
    std::optional<Endpoint> endpoint;  // none: the partner collects from its pull inbox
    translation::Format format = translation::Format::referral;  // for its inbox items

    // By id, or by name without regard to case (a FHIR HealthcareService.name); nullptr when unknown.
    const Service* service(std::string_view id_or_name) const;
};

// A service at an organisation, both by id.
struct ServiceRef {
    std::string organisation;
    std::string service;
};

// What a routing rule matches. Every condition given must hold; within one
// condition any listed value is enough; an empty list is no condition.
struct RuleMatch {
    std::vector<model::Need> needs;
    std::vector<std::string> requested_services;
    std::vector<model::Pathway> pathways;
    std::vector<model::Priority> priorities;
    std::vector<std::string> areas;  // postcode districts or GP practice ODS codes
    std::vector<model::ReferralSource> sources;
    std::vector<std::string> from;  // sending organisation ids
};

struct RoutingRule {
    std::string id;
    RuleMatch match;
    std::vector<ServiceRef> recipients;
};

// An information-sharing agreement: `from` may disclose to `to` for these
// purposes, on this lawful basis, through this minimisation profile.
struct Agreement {
    std::string id;
    std::string from;  // organisation ids
    std::string to;
    std::vector<std::string> purposes;  // e.g. "direct-care"
    model::LawfulBasis lawful_basis;
    std::string profile;  // MinimisationProfile::id
};

struct MinimisationProfile {
    std::string id;
    std::vector<std::string> fields;  // names from gateway/policy/minimise.hpp
};

struct GlossaryEntry {
    std::string term;       // "CPA"
    std::string expansion;  // "Care Programme Approach"
};

// One row of the terminology table: what a SNOMED CT concept or a phrase of
// free text means to the partnership (gateway/policy/terminology.hpp applies it).
struct TerminologyEntry {
    std::string key;      // a SNOMED CT concept id, or a phrase in normal form ("housing advice")
    model::Need need = model::Need::other;
    std::string service;  // a requested service it implies ("befriending"); empty: none
    std::string display;  // the concept's preferred term, for people reading the table
};

// config/terminology/*.json: EPRs code a referral's reason in SNOMED CT or
// write it as text; the partnership's needs are its own codes.
struct Terminology {
    std::string source_file;  // the table's file, resolved; empty when given inline
    std::vector<TerminologyEntry> snomed;   // in the file's order
    std::vector<TerminologyEntry> phrases;
};

// What becomes of a referral from this client that the directory cannot route
// (an unknown or closed organisation or service, no route): held in the
// triage queue for an admin and answered 202 (api/triage_api.hpp), or
// refused with 422 as before.
enum class OnUnroutable { triage, reject };
std::string_view to_string(OnUnroutable on_unroutable);

// A connected system authenticated by a bearer token.
struct ApiClient {
    std::string id;            // e.g. "trust-epr"; appears in the access log
    std::string organisation;  // Organisation::id
    Roles roles;
    std::string token_sha256;  // lower-case hex of SHA-256 over the token's bytes
    double rate_per_second = 0;  // 0: the limits' default
    double burst = 0;            // 0: the limits' default
    OnUnroutable on_unroutable = OnUnroutable::triage;
};

// A connected system authenticated by a client certificate (mutual TLS).
struct CertificateClient {
    std::string subject;       // RFC 2253, e.g. "CN=epr.trust.example,O=Example Trust"
    std::string organisation;
    Roles roles;
    double rate_per_second = 0;
    double burst = 0;
    OnUnroutable on_unroutable = OnUnroutable::triage;
};

enum class ClientCertificates { none, optional, required };

struct Tls {
    bool enabled = false;            // false only with "plain_http": true in the file
    std::string certificate_file;    // PEM chain; relative paths resolve against the config file
    std::string private_key_file;    // PEM
    std::string client_ca_file;      // PEM; needed when client_certificates != none
    ClientCertificates client_certificates = ClientCertificates::none;
};

struct Listener {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8443;  // 0: any free port (tests)
    Tls tls;
};

struct Limits {
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_json_body_bytes = 8u << 20;      // FHIR and partnership JSON
    std::size_t max_export_body_bytes = 1ull << 30;  // care-notes exports, streamed to disk
    std::chrono::milliseconds read_timeout{10'000};  // a request must arrive whole within this
    std::chrono::milliseconds idle_timeout{30'000};  // keep-alive connection with nothing to do
    // A body must keep arriving at this rate, averaged over each window, or it
    // is cut with 408: a client dribbling bytes may not hold a connection and a
    // body buffer for the whole of a large body's allowance (slowloris).
    std::size_t min_body_bytes_per_second = 64 * 1024;
    std::chrono::milliseconds body_rate_window{30'000};
    std::size_t max_connections = 10'000;
    double rate_per_second = 200;  // per client, token bucket
    double burst = 400;
    std::chrono::milliseconds drain_timeout{30'000};  // SIGTERM waits this long for in-flight requests
    // What a decoder takes from one document; max_document_bytes follows max_json_body_bytes.
    codec::Limits decode;
    // What the care-notes reader takes from one client of an export.
    codec::StreamLimits exports;
};

struct Store {
    // "sqlite:DIR" (relative DIR resolves against the config file's directory),
    // or "postgresql://…" for several instances on one database (no password
    // in it: libpq reads PGPASSWORD or a PGPASSFILE).
    std::string url;
    // Parsed from a sqlite: url. With PostgreSQL, `carebridge serve --data DIR`
    // sets it to the instance's own directory: its audit signing key (the same
    // key on every instance) and exports being received.
    std::string sqlite_directory;
    std::string postgresql_url;  // the url when it is postgresql:// (or postgres://)
    // PostgreSQL: how long an instance holds an outbox item it is pushing
    // before another instance may take it over ("outbox_lease_seconds").
    std::chrono::seconds outbox_lease{120};
};

struct Config {
    std::string source_file;  // where it was loaded from, for SIGHUP
    Listener listener;
    unsigned threads = 0;       // socket threads; 0: one per core
    unsigned work_threads = 0;  // decoding requests with a body; 0: one per core
    // Days payloads are kept before the gateway empties them (audited); 0: indefinitely.
    unsigned payload_retention_days = 0;
    Limits limits;
    std::vector<Organisation> organisations;
    std::vector<ApiClient> clients;
    std::vector<CertificateClient> certificate_clients;
    Store store;
    std::string policy_version;  // recorded with every policy decision
    std::vector<RoutingRule> routing_rules;  // tried in order
    std::vector<Agreement> agreements;
    std::vector<MinimisationProfile> minimisation_profiles;
    std::vector<GlossaryEntry> glossary;
    Terminology terminology;
    // A red referral not accepted within this is escalated to its originator; 0: never.
    std::chrono::seconds red_escalation_after{0};
    // A referral left in the triage queue this long is escalated to its
    // originator as an unaccepted red referral is ("triage.escalate_after_seconds"); 0: never.
    std::chrono::seconds triage_escalate_after{4 * 3600};

    // By id, ODS code or alias (case-insensitive for names); nullptr when unknown.
    const Organisation* organisation(std::string_view id_ods_or_alias) const;
    // The client whose token hashes to this one (constant-time comparison); nullptr when none.
    // `hashing_failed` is set when SHA-256 could not be computed: the caller then refuses, never guesses.
    const ApiClient* client_for_token(std::string_view token, bool* hashing_failed = nullptr) const;
    const CertificateClient* client_for_subject(std::string_view rfc2253_subject) const;
    const Agreement* agreement(std::string_view id) const;
    const MinimisationProfile* minimisation_profile(std::string_view id) const;
};

// Lower-case hex SHA-256, as stored in "token_sha256"; empty when OpenSSL fails.
std::string sha256_hex(std::string_view bytes);

// The checks between sections that a schema cannot make: rules, agreements
// and profiles name organisations, services and profiles that exist, an
// agreement is unambiguous, ages are in order. load_config runs it; so does
// policy::Directory::create, for a Config built in code. nullopt when sound,
// else one line naming the key.
std::optional<std::string> cross_check(const Config& config);

// Loads, validates and resolves a config file. nullopt with a one-line
// `error` naming the key (e.g. "listener.port: must be an integer 0..65535").
std::optional<Config> load_config(const std::string& path, std::string& error);
// The same over text already in memory; relative paths resolve against `base_directory`.
std::optional<Config> parse_config(std::string_view text, const std::string& base_directory, std::string& error);

}  // namespace carebridge::gateway::config
