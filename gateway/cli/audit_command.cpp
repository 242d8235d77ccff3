#include "audit_command.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "audit/checkpoint.hpp"
#include "config/config.hpp"
#include "store/postgresql/pg_audit.hpp"
#include "store/sqlite/sqlite_audit.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "translate_command.hpp"

namespace carebridge::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view audit_help = R"(Usage: carebridge audit verify --config FILE [--data DIR] [--public-key FILE]...

Checks the gateway's audit log: every entry's hash against its contents, each
entry's link to the one before, sequence numbers without gaps, and at every
signed checkpoint its Ed25519 signature and the Merkle root recomputed from
the entries. Prints the first entry that was altered, removed, reordered or
inserted, or a summary when the log is intact. The store is opened read-only,
so it can run beside a serving gateway.

  --config FILE       the gateway config: where the store is (sqlite:DIR, or a
                      postgresql:// database, read in one snapshot)
  --data DIR          the store's directory instead of the config's (with
                      PostgreSQL: an instance's directory, for its public key)
  --public-key FILE   a public key checkpoints may be signed with, once per key
                      the log has used (the signing key was rotated); each
                      checkpoint is checked with the key it names. Default:
                      <store dir>/audit-signing-key.pub.pem and the earlier
                      keys the store kept in <store dir>/audit-public-keys/

Exit status: 0 intact, 2 tampered, 1 usage or I/O error.
)";

int usage(const std::string& message) {
    std::fprintf(stderr, "carebridge audit: %s (see carebridge audit --help)\n", message.c_str());
    return exit_io_or_usage;
}

// Progress for someone watching a terminal; never into a file or pipe.
class ProgressLine {
public:
    void update(std::uint64_t checked, std::uint64_t total) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < std::chrono::milliseconds(250) && checked < total) return;
        last_ = now;
        shown_ = true;
        std::fprintf(stderr, "\rchecked %llu of %llu entries   ", static_cast<unsigned long long>(checked),
                     static_cast<unsigned long long>(total));
    }
    ~ProgressLine() {
        if (shown_) std::fputs("\n", stderr);
    }

private:
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
    bool shown_ = false;
};

int run_verify(std::span<const std::string_view> args) {
    std::string config_path, data, key_path;
    std::vector<std::string> more_key_paths;  // --public-key after the first
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view a = args[i];
        const auto value = [&](std::string& into) {
            if (i + 1 >= args.size()) return false;
            into = std::string(args[++i]);
            return true;
        };
        if (a == "-h" || a == "--help") {
            std::fputs(audit_help.data(), stdout);
            return exit_ok;
        } else if (a == "--config") {
            if (!value(config_path)) return usage("--config needs a file");
        } else if (a == "--data") {
            if (!value(data)) return usage("--data needs a directory");
        } else if (a == "--public-key") {
            if (!value(key_path.empty() ? key_path : more_key_paths.emplace_back()))
                return usage("--public-key needs a file");
        } else {
            return usage("unknown option '" + std::string(a) + "'");
        }
    }
    if (config_path.empty()) return usage("--config FILE is required");

    std::string error;
    auto config = gateway::config::load_config(config_path, error);
    if (!config) {
        std::fprintf(stderr, "carebridge audit: %s: %s\n", config_path.c_str(), error.c_str());
        return exit_io_or_usage;
    }
    const bool postgresql = !config->store.postgresql_url.empty();
    const fs::path directory = data.empty() ? fs::path(config->store.sqlite_directory) : fs::absolute(data);
    if (directory.empty() && !postgresql) return usage("the config names no SQLite store; give --data DIR");
    if (directory.empty() && key_path.empty())
        return usage("give --public-key FILE (or --data DIR, an instance's directory) to check checkpoints with");
    const fs::path database = directory / gateway::store::sqlite_database_file;
    std::error_code exists_error;
    if (!postgresql && !fs::exists(database, exists_error)) {
        std::fprintf(stderr, "carebridge audit: no store at %s\n", database.c_str());
        return exit_io_or_usage;
    }

    // The key is needed only when there are checkpoints to check; without
    // one the verifier says so if it meets a checkpoint.
    const bool key_given = !key_path.empty();
    if (!key_given) key_path = (directory / gateway::audit::public_key_file).string();
    std::optional<gateway::audit::PublicKey> key;
    if (key_given || fs::exists(key_path, exists_error)) {
        std::string key_message;
        key = gateway::audit::PublicKey::load(key_path, key_message);
        if (!key) {
            std::fprintf(stderr, "carebridge audit: %s\n", key_message.c_str());
            return exit_io_or_usage;
        }
    }

    // Every key the log's checkpoints may name: the auditor's own list, or
    // else the store's current key and the earlier ones it kept.
    gateway::audit::TrustedKeys keys;
    if (key) keys.add(*key);
    for (const std::string& path : more_key_paths) {
        std::string key_message;
        auto more = gateway::audit::PublicKey::load(path, key_message);
        if (!more) {
            std::fprintf(stderr, "carebridge audit: %s\n", key_message.c_str());
            return exit_io_or_usage;
        }
        keys.add(std::move(*more));
    }
    if (!key_given && !directory.empty()) {
        std::string key_message;
        if (!keys.add_directory((directory / gateway::audit::public_keys_directory).string(), key_message)) {
            std::fprintf(stderr, "carebridge audit: %s\n", key_message.c_str());
            return exit_io_or_usage;
        }
    }

    std::optional<ProgressLine> progress_line;
    gateway::store::AuditVerifyProgress progress;
    if (::isatty(STDERR_FILENO)) {
        progress_line.emplace();
        progress = [&](std::uint64_t checked, std::uint64_t total) { progress_line->update(checked, total); };
    }
    const auto result =
        postgresql ? gateway::store::verify_audit_postgresql(config->store.postgresql_url, keys, progress)
                   : gateway::store::verify_audit_file(database.string(), keys, progress);
    progress_line.reset();

    switch (result.status) {
        case gateway::audit::LogStatus::intact:
            std::printf("%s\n", result.line.c_str());
            return exit_ok;
        case gateway::audit::LogStatus::tampered:
            std::printf("%s\n", result.line.c_str());
            return exit_audit_tampered;
        case gateway::audit::LogStatus::unreadable:
            break;
    }
    std::fprintf(stderr, "carebridge audit: %s%s\n", result.line.c_str(),
                 keys.empty() ? (" (no public key at " + key_path + ")").c_str() : "");
    return exit_io_or_usage;
}

}  // namespace

int run_audit(std::span<const std::string_view> args) {
    if (args.empty() || args.front() == "-h" || args.front() == "--help" || args.front() == "help") {
        std::fputs(audit_help.data(), args.empty() ? stderr : stdout);
        return args.empty() ? exit_io_or_usage : exit_ok;
    }
    if (args.front() == "verify") return run_verify(args.subspan(1));
    return usage("unknown subcommand '" + std::string(args.front()) + "'");
}

}  // namespace carebridge::cli
