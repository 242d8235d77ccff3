#include "server/upload_file.hpp"

#include <cstring>
#include <string>

namespace carebridge::gateway::server {

namespace {

class UploadWriteCategory : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "carebridge.upload_write"; }
    std::string message(int ev) const override { return "cannot write the upload: " + std::string(std::strerror(ev)); }
};

}  // namespace

const boost::system::error_category& upload_write_category() {
    static const UploadWriteCategory category;
    return category;
}

std::size_t UploadFile::write(const void* buffer, std::size_t n, boost::system::error_code& ec) {
    const std::size_t written = boost::beast::file::write(buffer, n, ec);
    if (ec) ec.assign(ec.value(), upload_write_category());
    return written;
}

}  // namespace carebridge::gateway::server
