#pragma once
// A throwaway PostgreSQL server for the tests: Debian's initdb and postgres
// (found under /usr/lib/postgresql/*/bin, installed by deploy/install-deps.sh)
// run a fresh cluster in a temporary directory, on 127.0.0.1 at a free port
// with its unix socket in that directory, and trust authentication for the
// user "carebridge". PostgreSQL refuses to run as root, so under root (CI,
// containers) it runs as the user "nobody" with the directory handed to it.
// The server dies with the test process (PR_SET_PDEATHSIG), so a crashed or
// killed test leaves no server behind, and stop() or the destructor stops it
// and removes the directory. initdb runs once per PostgreSQL version and
// user: the cluster it makes is kept in /tmp as a template each server copies.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace carebridge::testing {

class PostgresServer {
public:
    PostgresServer() = default;
    ~PostgresServer();
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    // initdb in a new temporary directory, then start(). False with the
    // reason (and the server's log) in `error`.
    bool create(std::string& error);
    // Starts the server on the cluster (again, after stop(): same port, same data).
    bool start(std::string& error);
    // Fast shutdown (SIGINT: sessions end, everything committed is kept).
    void stop();
    bool running() const { return pid_ > 0; }

    std::uint16_t port() const { return port_; }
    // postgresql://carebridge@127.0.0.1:PORT/DATABASE
    std::string url(const std::string& database) const;
    // Creates a new empty database and returns its URL; empty with `error`.
    std::string fresh_database(std::string& error);
    std::string log() const;

    // Who the server runs as: ourselves, or "nobody" when we are root.
    struct RunAs {
        bool switch_user = false;
        uid_t uid = 0;
        gid_t gid = 0;
    };

private:
    bool copy_template(const RunAs& who, std::string& error);

    std::filesystem::path directory_;
    std::filesystem::path bin_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
    int databases_ = 0;
};

// The server every test in this process shares, created on first use; null
// with the reason in `error` when PostgreSQL cannot be started (callers FAIL,
// never skip: install-deps.sh installs it, so its absence is a broken machine).
PostgresServer* shared_postgres(std::string& error);

// Runs one SQL statement on `url` and returns the first column of the first
// row ("" when none); `error` is set when it fails.
std::string postgres_query(const std::string& url, const std::string& sql, std::string& error,
                           const std::string& parameter = {});

}  // namespace carebridge::testing
