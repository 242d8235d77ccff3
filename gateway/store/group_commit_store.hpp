#pragma once
// What every backend's Store is built on: the audit chain, the backend's
// write transaction and the group commit over them, opened in one order
// (signing key, writer, readers, then the writer thread) and stopped first
// on close. A backend adds its connections and its queries.

#include <memory>
#include <new>
#include <string>
#include <system_error>

#include "audit/checkpoint.hpp"
#include "store/audit_chain.hpp"
#include "store/group_commit.hpp"
#include "store/store.hpp"
#include "store/write_transaction.hpp"

namespace carebridge::gateway::store {

class GroupCommitStore : public Store {
public:
    void commit(WriteSet writes, Done done) final { writer_->commit(std::move(writes), std::move(done)); }
    const audit::PublicKey& audit_public_key() const final { return chain_->public_key(); }

protected:
    // Loads (creating it on first use) the key at `signing_key`, then
    // open_writer(), open_readers(), then starts the writer thread.
    std::error_code start(const std::string& signing_key, GroupCommitOptions options, std::string& message);
    // The backend's writer connection: sets transaction_ and chain_ (with the
    // head loaded, where the backend keeps it in memory).
    virtual std::error_code open_writer(std::shared_ptr<const audit::SigningKey> key, std::string& message) = 0;
    virtual std::error_code open_readers(std::string& message) = 0;

    // False while closing, or while the last commit failed (group_commit.hpp).
    bool accepting() { return writer_ && writer_->accepting(); }
    // GroupCommit::close(): true once the writer has stopped. A backend's
    // destructor calls it (through close()) before its connections go.
    bool stop_writer() { return writer_ && writer_->close(); }

    std::unique_ptr<WriteTransaction> transaction_;
    std::unique_ptr<AuditChain> chain_;

private:
    std::unique_ptr<GroupCommit> writer_;
};

// Runs a backend's open, so that running out of memory fails it with
// not_enough_memory rather than throwing out of open_*_store().
template <class Open>
std::unique_ptr<Store> open_or_fail(std::error_code& error, std::string& message, Open&& open) {
    error.clear();
    message.clear();
    try {
        return open();
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        message = "out of memory opening the store";
        return nullptr;
    }
}

}  // namespace carebridge::gateway::store
