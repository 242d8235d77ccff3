#pragma once
// Every read of both backends runs through this, so running out of memory
// (a huge page, a huge payload) answers with an empty result and
// std::errc::not_enough_memory instead of throwing into a request handler.

#include <new>
#include <system_error>

namespace carebridge::gateway::store {

template <class Result, class Read>
Result read_or_fail(std::error_code& error, Read&& read) {
    error.clear();
    try {
        return read();
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return Result{};
    }
}

}  // namespace carebridge::gateway::store
