#pragma once
// The file a care-notes export is streamed into. Beast's file, except that a
// failed write (a full disk, a quota, an I/O error) comes back in its own
// error category: the session tells "the gateway could not keep the body"
// (503, send it again later) from "the client sent a bad body" (400).

#include <boost/beast/core/file.hpp>
#include <boost/system/error_code.hpp>

namespace carebridge::gateway::server {

// Values are the errno of the failed write (ENOSPC, EDQUOT, EIO, ...).
const boost::system::error_category& upload_write_category();

class UploadFile : public boost::beast::file {
public:
    // As beast::file::write; a failure is reported in upload_write_category().
    std::size_t write(const void* buffer, std::size_t n, boost::system::error_code& ec);
};

}  // namespace carebridge::gateway::server
