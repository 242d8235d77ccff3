#include "store/write_set_apply.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include "audit/detail.hpp"
#include "ids/uuid.hpp"
#include "store/store_error.hpp"

namespace carebridge::gateway::store {
namespace {

bool is_format(std::string_view format) { return format == "fhir" || format == "referral" || format == "carenotes"; }

bool is_repeated(const std::vector<std::string_view>& repeated, std::string_view message_id) {
    return std::find(repeated.begin(), repeated.end(), message_id) != repeated.end();
}

std::string count_of(const char* what, std::size_t i, std::size_t n) {
    return std::string(what) + " " + std::to_string(i + 1) + " of " + std::to_string(n);
}

std::error_code insert_messages(const std::vector<StoredMessage>& messages, std::vector<MessageResult>& results,
                                WriteTransaction& transaction, std::string& message) {
    results.resize(messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const StoredMessage& stored = messages[i];
        bool inserted = false;
        std::error_code error = transaction.insert_message(stored, inserted, message);
        if (!error && inserted) results[i] = MessageResult{stored.id, false, {}};
        // The sender's key was seen before (in an earlier transaction, from
        // another instance, or earlier in this one): answer with what the
        // original got.
        if (!error && !inserted) error = transaction.find_original(stored, results[i], message);
        if (error) {
            message = count_of("message", i, messages.size()) + ": " + message;
            return error;
        }
    }
    return {};
}

std::error_code insert_outbox(const std::vector<OutboxItem>& items, const std::vector<std::string_view>& repeated,
                              std::vector<std::string>& ids, WriteTransaction& transaction, std::string& message) {
    ids.assign(items.size(), std::string());
    std::string key;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const OutboxItem& item = items[i];
        if (is_repeated(repeated, item.message_id)) continue;
        const std::string which = count_of("outbox item", i, items.size());
        if (item.message_id.empty() || item.recipient.empty()) {
            message = which + ": names no message or no recipient";
            return std::make_error_code(std::errc::invalid_argument);
        }
        if (!is_format(item.format)) {
            message = which + ": format '" + item.format + "' is not fhir, referral or carenotes";
            return std::make_error_code(std::errc::invalid_argument);
        }
        // A random id: it is in partners' URLs and says nothing about how many items the gateway holds.
        std::optional<std::string> id = item.id.empty() ? ids::random_uuid() : std::optional<std::string>(item.id);
        if (!id) {
            message = which + ": no random bytes for its id; nothing was stored";
            return std::make_error_code(std::errc::resource_unavailable_try_again);
        }
        // The key a receiver deduplicates on must not change between attempts.
        key = item.idempotency_key;
        if (key.empty()) {
            key = item.message_id + ":" + item.recipient;
            if (!item.service.empty()) (key += ':') += item.service;
        }
        if (auto error = transaction.insert_outbox_item(item, *id, key, message)) {
            message = which + ": " + message;  // e.g. a message_id that is not stored
            return error;
        }
        ids[i] = std::move(*id);
    }
    return {};
}

std::error_code update_outbox(const std::vector<OutboxUpdate>& updates, std::vector<bool>& applied,
                              WriteTransaction& transaction, std::string& message) {
    applied.assign(updates.size(), false);
    std::string only_from;
    for (std::size_t i = 0; i < updates.size(); ++i) {
        const OutboxUpdate& update = updates[i];
        only_from.clear();
        if (!update.only_from.empty()) {
            only_from = ",";
            for (OutboxState state : update.only_from) (only_from += to_string(state)) += ',';
        }
        bool changed = false;
        if (auto error = transaction.update_outbox_item(update, only_from, changed, message)) {
            message = count_of("outbox update", i, updates.size()) + ": " + message;
            return error;
        }
        applied[i] = changed;
    }
    return {};
}

std::error_code insert_history(const std::vector<HistoryEntry>& history, const std::vector<std::string_view>& repeated,
                               WriteTransaction& transaction, std::string& message) {
    for (const HistoryEntry& entry : history) {
        if (is_repeated(repeated, entry.message_id)) continue;  // a triaged resend's first step stands
        const std::string time = entry.time.empty() ? audit::now_instant() : entry.time;
        if (auto error = transaction.insert_history(entry, time, message)) {
            message = "cannot add to a referral's history: " + message;
            return error;
        }
    }
    return {};
}

// New items first (left out for a repeated message), then admins' steps,
// each of which must find its item open (store.hpp).
std::error_code apply_triage(const WriteSet& writes, const std::vector<std::string_view>& repeated,
                             WriteTransaction& transaction, std::string& message) {
    const std::string time = audit::now_instant();
    for (const TriageItem& item : writes.triage) {
        if (is_repeated(repeated, item.message_id)) continue;
        if (auto error = transaction.insert_triage_item(item, item.created_at.empty() ? time : item.created_at,
                                                        message)) {
            message = "cannot add to the triage queue: " + message;
            return error;
        }
    }
    for (const TriageUpdate& update : writes.triage_updates) {
        bool applied = false;
        if (auto error = transaction.update_triage_item(update, time, applied, message)) {
            message = "cannot update a triage item: " + message;
            return error;
        }
        if (!applied) {
            message = "a triage item is no longer open";
            return make_error_code(StoreErrc::triage_not_open);
        }
    }
    return {};
}

std::error_code set_escalation_timers(const WriteSet& writes, const std::vector<std::string_view>& repeated,
                                      WriteTransaction& transaction, std::string& message) {
    for (const EscalationTimer& timer : writes.escalation_timers) {
        if (is_repeated(repeated, timer.message_id)) continue;
        if (auto error = transaction.set_escalation_timer(timer, message)) {
            message = "cannot set an escalation timer: " + message;
            return error;
        }
    }
    // Timers no longer needed end whatever their state; a fired one must
    // still be pending, or the write set is refused (store.hpp). On
    // PostgreSQL row locks order two instances firing one timer: the second
    // waits for the first's commit, then finds it no longer pending.
    bool ended = false;
    for (const std::string& id : writes.escalation_timers_done) {
        if (auto error = transaction.end_escalation_timer(id, false, ended, message)) {
            message = "cannot end an escalation timer: " + message;
            return error;
        }
    }
    for (const std::string& id : writes.escalation_timers_fired) {
        if (auto error = transaction.end_escalation_timer(id, true, ended, message)) {
            message = "cannot fire an escalation timer: " + message;
            return error;
        }
        if (!ended) {
            message = "an escalation timer has already fired or ended";
            return make_error_code(StoreErrc::escalation_not_pending);
        }
    }
    return {};
}

// The retention purge and, when it emptied anything, the `purged` entry that records it.
std::error_code purge(const std::string& before, CommitResult& result, std::vector<audit::AuditEvent>& events,
                      WriteTransaction& transaction, std::string& message) {
    PurgeCounts counts;
    if (auto error = transaction.purge_payloads(before, counts, message)) return error;
    result.purged_messages = counts.messages;
    result.purged_outbox_items = counts.outbox_items;
    if (counts.messages + counts.outbox_items == 0) return {};
    audit::AuditEvent purged;
    purged.action = audit::AuditAction::purged;
    purged.actor_role = "gateway";
    purged.outcome = std::string(audit::outcome::success);
    purged.detail = audit::Detail()
                        .add("received_before", before)
                        .add("messages", counts.messages)
                        .add("outbox_items", counts.outbox_items)
                        .text();
    events.push_back(std::move(purged));
    return {};
}

}  // namespace

CommitResult failed_commit(std::error_code error, std::string message) noexcept {
    CommitResult result;
    result.error = error;
    result.error_message = std::move(message);
    return result;
}

CommitResult apply_write_set(const WriteSet& writes, WriteTransaction& transaction, AuditChain& chain,
                             bool& transaction_lost) {
    CommitResult result;
    std::string message;
    if (auto error = transaction.savepoint(message)) {
        transaction_lost = true;
        return failed_commit(error, "cannot start a savepoint: " + message);
    }
    chain.begin_write_set();
    std::error_code error = insert_messages(writes.messages, result.messages, transaction, message);
    // The rows of a message that was a repeat are left out, as its audit events are.
    std::vector<std::string_view> repeated;
    if (!error) {
        for (std::size_t i = 0; i < writes.messages.size(); ++i)
            if (result.messages[i].duplicate) repeated.push_back(writes.messages[i].id);
        error = insert_outbox(writes.outbox, repeated, result.outbox_ids, transaction, message);
    }
    if (!error) error = update_outbox(writes.outbox_updates, result.outbox_updated, transaction, message);
    if (!error) error = insert_history(writes.history, repeated, transaction, message);
    if (!error) error = apply_triage(writes, repeated, transaction, message);
    if (!error) error = set_escalation_timers(writes, repeated, transaction, message);
    std::vector<audit::AuditEvent> purge_events;
    if (!error && !writes.purge_payloads_before.empty())
        error = purge(writes.purge_payloads_before, result, purge_events, transaction, message);
    if (!error && !purge_events.empty()) {
        std::vector<std::uint64_t> purge_seqs;
        error = chain.append(purge_events, {}, purge_seqs, transaction, message);
    }
    if (!error) error = chain.append(writes.audit, repeated, result.audit_seqs, transaction, message);
    if (!error && writes.sign_audit_checkpoint) error = chain.sign_checkpoint(result.checkpoint, transaction, message);

    if (error) {
        // Undo this write set alone; the others in the transaction stand.
        result = failed_commit(error, std::move(message));
        chain.rollback_write_set();
        if (!transaction.rollback_to_savepoint()) transaction_lost = true;
    } else if ((error = transaction.release_savepoint(message))) {
        transaction_lost = true;
        result = failed_commit(error, "cannot release a savepoint: " + message);
    }
    return result;
}

}  // namespace carebridge::gateway::store
