#pragma once
// Errors the store reports. SQLite's own result codes keep their category
// ("sqlite") so an operator sees SQLite's words for them; the store's own
// refusals are in "carebridge.store".

#include <string>
#include <system_error>

namespace carebridge::gateway::store {

enum class StoreErrc {
    schema_too_new = 1,  // the file was migrated by a newer carebridge; opening it could corrupt it
    closed,              // close() has run; nothing more is accepted
    bad_directory,       // options.directory cannot be created or used
    escalation_not_pending,  // a write set fires an escalation timer that has fired or ended already
};

const std::error_category& store_category();
std::error_code make_error_code(StoreErrc e);

// SQLite (extended) result codes: busy and locked compare equal to
// std::errc::device_or_resource_busy, a full disk to no_space_on_device and
// I/O errors to io_error, so the server can answer 503 without knowing SQLite.
const std::error_category& sqlite_category();
std::error_code sqlite_error(int result_code);

}  // namespace carebridge::gateway::store

template <>
struct std::is_error_code_enum<carebridge::gateway::store::StoreErrc> : std::true_type {};
