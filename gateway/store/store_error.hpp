#pragma once
// The store's own refusals, in "carebridge.store". Each backend's errors keep
// their own category (store/sqlite/sqlite_error.hpp, store/postgresql/
// pg_connection.hpp) so an operator sees the database's words for them.

#include <string>
#include <system_error>

namespace carebridge::gateway::store {

enum class StoreErrc {
    schema_too_new = 1,  // the file was migrated by a newer carebridge; opening it could corrupt it
    closed,              // close() has run; nothing more is accepted
    bad_directory,       // options.directory cannot be created or used
    escalation_not_pending,  // a write set fires an escalation timer that has fired or ended already
    triage_not_open,         // a write set re-routes or returns a triage item that is not open (or not there)
};

const std::error_category& store_category();
std::error_code make_error_code(StoreErrc e);

}  // namespace carebridge::gateway::store

template <>
struct std::is_error_code_enum<carebridge::gateway::store::StoreErrc> : std::true_type {};
