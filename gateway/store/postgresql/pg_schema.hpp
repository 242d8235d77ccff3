#pragma once
// The PostgreSQL store's schema as numbered migrations, applied in order and
// recorded in schema_version. Several gateway instances may start at once on
// one database: migrate() holds a transaction-level advisory lock while it
// looks and applies, so exactly one of them runs each migration and the
// others find it done.

#include <string>
#include <system_error>

#include "store/postgresql/pg_connection.hpp"

namespace carebridge::gateway::store {

// The newest schema version this build knows.
int postgresql_schema_version();

// Brings the database up to postgresql_schema_version(); refuses
// (StoreErrc::schema_too_new) a database migrated by a newer carebridge.
std::error_code migrate_postgresql(PgConnection& connection, std::string& message);

}  // namespace carebridge::gateway::store
