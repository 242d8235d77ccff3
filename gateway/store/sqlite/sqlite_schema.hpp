#pragma once
// The SQLite store's schema as an ordered list of migrations. A released
// migration is never edited, only followed by a new one (the audit log came
// as migration 2, the outbox as 3), so every file can be brought forward
// from whatever version it holds.

#include <sqlite3.h>

#include <string>
#include <system_error>

namespace carebridge::gateway::store {

// The version this binary migrates to: the number of migrations it knows.
int sqlite_schema_version();

// Applies the missing migrations in one transaction and records each in
// schema_migrations. A file at a version newer than sqlite_schema_version()
// is refused with StoreErrc::schema_too_new and left untouched.
std::error_code migrate(sqlite3* db, std::string& message);

}  // namespace carebridge::gateway::store
