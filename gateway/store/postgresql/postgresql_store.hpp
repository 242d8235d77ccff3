#pragma once
// The shared store: PostgreSQL through libpq, for several gateway instances
// on one database (DESIGN.md). Only server/, cli/ and the tests open it;
// everything else sees store/store.hpp.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <system_error>

#include "store/store.hpp"

namespace carebridge::gateway::store {

struct PostgresqlOptions {
    // A postgresql:// URL or libpq conninfo. No password in it: libpq reads
    // PGPASSWORD, PGPASSFILE (~/.pgpass) or a PGSERVICE entry.
    std::string url;
    std::size_t max_batch = 512;       // write sets per grouped transaction
    std::size_t max_queue = 65536;     // write sets waiting; past it commit() fails at once (503)
    std::size_t read_connections = 4;  // pooled reader connections
    // Signs audit checkpoints (created on first open when missing). Every
    // instance on one database holds the same key (a copy of one file), so one
    // public key checks every checkpoint; the database records each key used.
    std::string audit_signing_key;
    // Names this instance's outbox claims; empty: host name, process id and a random part.
    std::string instance;
    // How long an instance holds an outbox item it claimed: longer than one
    // push attempt can take (delivery_options.hpp: about 65 s at most), so
    // only a dead instance's claims are taken over.
    std::chrono::seconds outbox_lease{120};
    CommitObserver observer;
};

// Opens (creating or migrating the schema under an advisory lock) the
// PostgreSQL store. nullptr with `error` and a one-line `message` when the
// server cannot be reached or the database cannot be used.
std::unique_ptr<Store> open_postgresql_store(const PostgresqlOptions& options, std::error_code& error,
                                             std::string& message);

}  // namespace carebridge::gateway::store
