#include "store/group_commit_store.hpp"

namespace carebridge::gateway::store {

std::error_code GroupCommitStore::start(const std::string& signing_key, GroupCommitOptions options,
                                        std::string& message) {
    auto key = audit::SigningKey::load_or_create(signing_key, message);
    if (!key) return std::make_error_code(std::errc::io_error);
    if (auto error = open_writer(std::move(key), message)) return error;
    if (auto error = open_readers(message)) return error;
    writer_ = std::make_unique<GroupCommit>(*transaction_, *chain_, std::move(options));
    return writer_->start(message);
}

}  // namespace carebridge::gateway::store
