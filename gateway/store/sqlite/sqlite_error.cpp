#include "store/sqlite/sqlite_error.hpp"

#include <sqlite3.h>

#include <string>

namespace carebridge::gateway::store {
namespace {

class SqliteCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "sqlite"; }
    std::string message(int value) const override { return sqlite3_errstr(value); }
    std::error_condition default_error_condition(int value) const noexcept override {
        switch (value & 0xff) {  // the primary code; extended codes add detail in the high bits
            case SQLITE_BUSY:
            case SQLITE_LOCKED:
                return std::errc::device_or_resource_busy;
            case SQLITE_FULL:
                return std::errc::no_space_on_device;
            case SQLITE_IOERR:
                return std::errc::io_error;
            case SQLITE_NOMEM:
                return std::errc::not_enough_memory;
            case SQLITE_READONLY:
            case SQLITE_PERM:
                return std::errc::permission_denied;
        }
        return {value, *this};
    }
};

}  // namespace

const std::error_category& sqlite_category() {
    static const SqliteCategory category;
    return category;
}

std::error_code sqlite_error(int result_code) { return {result_code, sqlite_category()}; }

}  // namespace carebridge::gateway::store
