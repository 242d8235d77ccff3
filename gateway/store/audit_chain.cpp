#include "store/audit_chain.hpp"

#include <algorithm>

#include "audit/detail.hpp"
#include "audit/entry_bytes.hpp"
#include "store/write_transaction.hpp"

namespace carebridge::gateway::store {

std::error_code AuditChain::append(const std::vector<audit::AuditEvent>& events,
                                   const std::vector<std::string_view>& repeated_messages,
                                   std::vector<std::uint64_t>& seqs, WriteTransaction& transaction,
                                   std::string& message) {
    seqs.assign(events.size(), 0);
    std::string time;
    std::string previous_hash;
    std::string hash_hex;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const audit::AuditEvent& event = events[i];
        if (!event.message_id.empty() &&
            std::find(repeated_messages.begin(), repeated_messages.end(), event.message_id) != repeated_messages.end())
            continue;
        const std::string which = "audit event " + std::to_string(i + 1) + " of " + std::to_string(events.size());
        time = event.time.empty() ? audit::now_instant() : event.time;
        if (!audit::is_instant(time)) {
            message = which + ": time '" + time + "' is not an instant like 2026-11-23T05:30:00.123Z";
            return std::make_error_code(std::errc::invalid_argument);
        }
        if (!audit::is_detail(event.detail)) {
            message = which + ": detail is not a JSON object";
            return std::make_error_code(std::errc::invalid_argument);
        }

        previous_hash = audit::to_hex(head_.hash);
        audit::EntryText text = audit::text_of(event, previous_hash);
        text.time = time;
        audit::canonical_entry(text, canonical_);
        const audit::Hash hash = audit::entry_hash(canonical_);
        const audit::Hash leaf = audit::leaf_hash(canonical_);
        hash_hex = audit::to_hex(hash);
        const std::uint64_t seq = head_.seq + 1;

        if (auto error = transaction.insert_audit_entry(seq, text, hash_hex, leaf, message)) {
            message = which + ": " + message;
            return error;
        }
        head_.seq = seq;
        head_.hash = hash;
        head_.tree.append(leaf);
        seqs[i] = seq;
    }
    return {};
}

std::error_code AuditChain::sign_checkpoint(std::optional<audit::Checkpoint>& signed_checkpoint,
                                            WriteTransaction& transaction, std::string& message) {
    signed_checkpoint.reset();
    if (head_.seq == 0 || head_.seq == head_.checkpoint_size) return {};
    auto checkpoint = key_->sign(head_.seq, head_.tree.root(), audit::now_instant());
    if (!checkpoint) {
        message = "cannot sign an audit checkpoint";
        return std::make_error_code(std::errc::not_enough_memory);
    }
    const std::string root = audit::to_hex(checkpoint->root_hash);
    bool inserted = false;
    if (auto error = transaction.insert_audit_checkpoint(*checkpoint, root, inserted, message)) {
        message = "cannot store an audit checkpoint: " + message;
        return error;
    }
    head_.checkpoint_size = head_.seq;
    if (inserted) signed_checkpoint = std::move(checkpoint);
    return {};
}

}  // namespace carebridge::gateway::store
