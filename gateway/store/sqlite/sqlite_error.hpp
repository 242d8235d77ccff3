#pragma once
// SQLite (extended) result codes as error codes in the "sqlite" category, so
// an operator sees SQLite's words for them: busy and locked compare equal to
// std::errc::device_or_resource_busy, a full disk to no_space_on_device and
// I/O errors to io_error, so the server can answer 503 without knowing SQLite.

#include <system_error>

namespace carebridge::gateway::store {

const std::error_category& sqlite_category();
std::error_code sqlite_error(int result_code);

}  // namespace carebridge::gateway::store
