#include "store/group_commit.hpp"

#include <algorithm>
#include <chrono>
#include <new>
#include <utility>

#include "store/store_error.hpp"
#include "store/write_set_apply.hpp"

namespace carebridge::gateway::store {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t largest_batch = 1 << 16;  // the batch vector is reserved whole at start

// Runs a done callback; one that throws must not take the writer down with it.
void finish(Store::Done done, CommitResult result) noexcept {
    if (!done) return;
    try {
        done(std::move(result));
    } catch (...) {
    }
}

}  // namespace

GroupCommit::GroupCommit(WriteTransaction& transaction, AuditChain& chain, GroupCommitOptions options)
    : transaction_(transaction), chain_(chain), options_(std::move(options)) {
    options_.max_batch = std::clamp<std::size_t>(options_.max_batch, 1, largest_batch);
}

std::error_code GroupCommit::start(std::string& message) {
    try {
        batch_.reserve(options_.max_batch);
        writer_ = std::thread([this] { write_loop(); });
        writer_id_ = writer_.get_id();
        return {};
    } catch (const std::bad_alloc&) {
        message = "out of memory starting the store's writer";
        return std::make_error_code(std::errc::not_enough_memory);
    } catch (const std::system_error& e) {
        message = "cannot start the store's writer thread";
        return e.code();
    }
}

void GroupCommit::commit(WriteSet writes, Store::Done done) {
    PendingCommit pending{std::move(writes), std::move(done)};
    CommitResult refusal;
    {
        std::lock_guard lock(queue_mutex_);
        if (closing_) {
            refusal = failed_commit(StoreErrc::closed, "the store is closed");
        } else if (queue_.size() >= options_.max_queue) {
            // Past the bound the disk cannot keep up; refusing now (503) beats
            // holding every request's memory and timing out later.
            refusal = failed_commit(std::make_error_code(std::errc::resource_unavailable_try_again),
                                    "the store's queue is full (" + std::to_string(options_.max_queue) +
                                        " write sets)");
        } else {
            try {
                queue_.push_back(std::move(pending));
            } catch (const std::bad_alloc&) {
                refusal = failed_commit(std::make_error_code(std::errc::not_enough_memory),
                                        "out of memory queueing a commit");
            }
        }
    }
    if (refusal.error) {
        finish(std::move(pending.done), std::move(refusal));
        return;
    }
    queue_changed_.notify_one();
}

bool GroupCommit::accepting() {
    {
        std::lock_guard lock(queue_mutex_);
        if (closing_) return false;
    }
    // Until a commit succeeds again the gateway should not take new work.
    return last_commit_.load() != LastCommit::failed;
}

void GroupCommit::write_loop() {
    for (;;) {
        batch_.clear();
        {
            std::unique_lock lock(queue_mutex_);
            queue_changed_.wait(lock, [this] { return !queue_.empty() || closing_; });
            if (queue_.empty()) return;  // closing, and everything queued is committed
            const std::size_t count = std::min(queue_.size(), options_.max_batch);
            for (std::size_t i = 0; i < count; ++i) {
                batch_.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        try {
            commit_batch();
        } catch (...) {  // out of memory building results or messages
            abandon_batch();
        }
    }
}

void GroupCommit::abandon_batch() noexcept {
    transaction_.rollback();
    chain_.rollback_transaction();
    last_commit_.store(LastCommit::failed);
    for (PendingCommit& pending : batch_) {
        // A short message fits the string's own buffer: no allocation here.
        if (pending.done)
            finish(std::exchange(pending.done, nullptr),
                   failed_commit(std::make_error_code(std::errc::not_enough_memory), "out of memory"));
    }
}

void GroupCommit::commit_batch() {
    chain_.begin_transaction();  // first, so every way out can put the audit head back
    const auto started = Clock::now();
    std::vector<CommitResult> results(batch_.size());
    std::string message;

    std::error_code error = transaction_.begin(chain_, message);
    for (std::size_t i = 0; i < batch_.size() && !error; ++i) {
        bool transaction_lost = false;
        results[i] = apply_write_set(batch_[i].writes, transaction_, chain_, transaction_lost);
        if (transaction_lost) {
            error = results[i].error ? results[i].error : std::make_error_code(std::errc::io_error);
            message = "the transaction was abandoned: " + results[i].error_message;
        }
    }
    if (!error) error = transaction_.commit(chain_, message);
    if (error) {
        transaction_.rollback();
        chain_.rollback_transaction();  // the entries' seqs are free again
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
    if (!error)
        last_commit_.store(LastCommit::ok);
    else if (transaction_.connection_lost(error))
        last_commit_.store(LastCommit::connection_lost);
    else
        last_commit_.store(LastCommit::failed);

    for (std::size_t i = 0; i < batch_.size(); ++i) {
        // Taken out first, so a failure halfway through never calls one twice.
        finish(std::exchange(batch_[i].done, nullptr), error ? failed_commit(error, message) : std::move(results[i]));
    }
    if (!error && options_.observer.on_commit) {
        try {
            options_.observer.on_commit(elapsed, batch_.size());
        } catch (...) {
        }
    }
}

bool GroupCommit::close() {
    {
        std::lock_guard lock(queue_mutex_);
        closing_ = true;
    }
    queue_changed_.notify_all();
    if (std::this_thread::get_id() == writer_id_) return false;
    std::lock_guard lock(close_mutex_);
    if (writer_.joinable()) writer_.join();
    return true;
}

}  // namespace carebridge::gateway::store
