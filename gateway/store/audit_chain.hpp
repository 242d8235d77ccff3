#pragma once
// The writer's end of the audit log, for both backends: the chain head (last
// seq, last hash, the Merkle tree's subtree roots, the last checkpoint's
// size) kept in memory, so an append is two hashes and an INSERT. The head
// follows the transaction: the writer marks it when a transaction or a write
// set's savepoint starts and puts it back when either rolls back, so a failed
// write set leaves no gap. Where the head comes from is the backend's: SQLite
// reads every leaf once at open (one process appends to a file); PostgreSQL
// locks a one-row table at the start of each transaction (several instances
// append to one log) and writes it back at commit.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "audit/audit_event.hpp"
#include "audit/checkpoint.hpp"
#include "audit/hash.hpp"
#include "audit/merkle.hpp"

namespace carebridge::gateway::store {

class WriteTransaction;

class AuditChain {
public:
    struct Head {
        std::uint64_t seq = 0;
        audit::Hash hash{};  // all zeros before the first entry: the genesis link
        audit::MerkleAccumulator tree;
        std::uint64_t checkpoint_size = 0;
    };

    explicit AuditChain(std::shared_ptr<const audit::SigningKey> key) : key_(std::move(key)) {}

    // The head as the database holds it: the transaction and write set start from it.
    void load(const Head& head) { head_ = transaction_start_ = write_set_start_ = head; }
    const Head& head() const { return head_; }
    // True when this transaction appended or signed: the head must be written back.
    bool moved() const {
        return head_.seq != transaction_start_.seq || head_.checkpoint_size != transaction_start_.checkpoint_size;
    }

    void begin_transaction() { transaction_start_ = head_; }
    void rollback_transaction() { head_ = transaction_start_; }
    void begin_write_set() { write_set_start_ = head_; }
    void rollback_write_set() { head_ = write_set_start_; }

    // Appends `events` in order; `seqs` gets their sequence numbers, index
    // for index. An event naming one of `repeated_messages` (messages of the
    // write set that were idempotent repeats, so not stored) is not appended:
    // it recorded something that did not happen; its seq is 0. An event with
    // an empty time is stamped now. On an error (an event that is not well
    // formed, or the database's) the caller rolls the savepoint back.
    std::error_code append(const std::vector<audit::AuditEvent>& events,
                           const std::vector<std::string_view>& repeated_messages, std::vector<std::uint64_t>& seqs,
                           WriteTransaction& transaction, std::string& message);

    // Signs and stores a checkpoint of the log as it stands, when it has grown
    // since the last one; `signed_checkpoint` is left empty otherwise.
    std::error_code sign_checkpoint(std::optional<audit::Checkpoint>& signed_checkpoint,
                                    WriteTransaction& transaction, std::string& message);

    const audit::PublicKey& public_key() const { return key_->public_key(); }

private:
    std::shared_ptr<const audit::SigningKey> key_;
    Head head_, transaction_start_, write_set_start_;
    std::string canonical_;  // reused for every entry
};

}  // namespace carebridge::gateway::store
