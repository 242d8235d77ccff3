#pragma once
// A backend's schema as numbered migrations, applied in order and never
// edited once released (a later one follows instead), so every database can
// be brought forward from whatever version it holds.

#include <cstdint>
#include <string>
#include <system_error>

#include "store/store_error.hpp"

namespace carebridge::gateway::store {

struct SchemaMigration {
    int version;
    const char* sql;
};

// StoreErrc::schema_too_new with its message when `current` (what the
// database records) is past `known` (what this build migrates to): opening it
// could corrupt it. Empty otherwise.
inline std::error_code refuse_newer_schema(std::int64_t current, int known, std::string& message) {
    if (current <= known) return {};
    message = "schema version " + std::to_string(current) + " is newer than this carebridge knows (" +
              std::to_string(known) + "); run the carebridge that wrote it";
    return StoreErrc::schema_too_new;
}

}  // namespace carebridge::gateway::store
