#pragma once
// The store's one writer, for both backends: commit() queues a write set and
// returns; a thread takes up to max_batch of them at a time and commits them
// in one transaction, each in its own savepoint (write_set_apply.hpp), so one
// fsync serves many requests and a failing write set fails alone. Each
// caller's `done` runs once the transaction that holds it is durable, or has
// failed.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "store/audit_chain.hpp"
#include "store/store.hpp"
#include "store/write_transaction.hpp"

namespace carebridge::gateway::store {

struct GroupCommitOptions {
    std::size_t max_batch = 512;    // write sets per grouped transaction
    std::size_t max_queue = 65536;  // write sets waiting; past it commit() fails at once (503)
    CommitObserver observer;
};

class GroupCommit {
public:
    // `transaction` and `chain` are the backend's, on the writer's connection;
    // they must outlive this object (or its close()).
    GroupCommit(WriteTransaction& transaction, AuditChain& chain, GroupCommitOptions options);
    ~GroupCommit() { close(); }
    GroupCommit(const GroupCommit&) = delete;
    GroupCommit& operator=(const GroupCommit&) = delete;

    // Starts the writer thread; an error (the thread could not start, no
    // memory for the batch) leaves nothing running.
    std::error_code start(std::string& message);

    // Store::commit: refused at once (on the caller's thread) when closed or full.
    void commit(WriteSet writes, Store::Done done);

    // False once close() has begun, or while the last commit failed for any
    // reason but a lost connection (a server that went away is reconnected to
    // with the next batch, so readiness then follows the server).
    bool accepting();

    // Stops intake, commits everything queued and joins the writer. From a
    // done callback (the writer's own thread) it only stops intake, and
    // returns false: the writer drains and stops after the callback returns.
    // True once the writer has stopped. Idempotent.
    bool close();

private:
    struct PendingCommit {
        WriteSet writes;
        Store::Done done;
    };
    enum class LastCommit { ok, connection_lost, failed };

    void write_loop();
    void commit_batch();
    void abandon_batch() noexcept;

    WriteTransaction& transaction_;
    AuditChain& chain_;
    GroupCommitOptions options_;

    std::mutex queue_mutex_;
    std::condition_variable queue_changed_;
    std::deque<PendingCommit> queue_;
    bool closing_ = false;  // guarded by queue_mutex_: no more commits; the writer drains and stops

    std::atomic<LastCommit> last_commit_{LastCommit::ok};
    std::vector<PendingCommit> batch_;  // the writer's alone; reserved at start so taking a batch cannot fail
    std::mutex close_mutex_;            // one close() joins the writer; another waits for it
    std::thread writer_;
    std::thread::id writer_id_;  // set before the store is shared; read without a lock
};

}  // namespace carebridge::gateway::store
