#pragma once
// The embedded store: one SQLite file in WAL mode (DESIGN.md's default).
// Only server/, cli/ and the tests open it; everything else sees store/store.hpp.

#include <cstddef>
#include <memory>
#include <string>
#include <system_error>

#include "audit/log_verifier.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::store {

struct SqliteOptions {
    std::string directory;             // holds carebridge.sqlite (+ -wal, -shm); created if missing
    std::size_t max_batch = 512;       // write sets per grouped transaction
    std::size_t max_queue = 65536;     // write sets waiting; past it commit() fails at once (503)
    std::size_t read_connections = 4;  // pooled readers (WAL lets them run beside the writer)
    // Signs audit checkpoints; empty: <directory>/audit-signing-key.pem, created on first open.
    std::string audit_signing_key;
    CommitObserver observer;
};

// The database file's name inside SqliteOptions::directory.
inline constexpr const char* sqlite_database_file = "carebridge.sqlite";

// Opens (creating and migrating) the SQLite store. nullptr with `error` and a
// one-line `message` when the directory or file cannot be used.
std::unique_ptr<Store> open_sqlite_store(const SqliteOptions& options, std::error_code& error, std::string& message);

}  // namespace carebridge::gateway::store
