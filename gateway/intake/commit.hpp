#pragma once
// Commit, the last intake stage: one planned write set — messages, their
// recipients' copies, outbox rows and audit entries — made durable in one
// transaction, and what became of each message. An idempotent repeat is
// recognised by the store itself, inside the same transaction, so a resend
// stores nothing twice however it races the first send.

#include <functional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace carebridge::gateway::intake {

enum class CommitStatus {
    // Durable. `messages` says, index for index with the write set's, whether
    // each was stored or was a repeat (whose copies, rows and audit entries
    // the store left out, the original's standing).
    committed,
    // Nothing of the write set was kept (disk, queue full, store closed):
    // sending the same again, with the same keys, is safe.
    store_failed,
};

// What became of one message of the write set.
struct CommittedMessage {
    bool duplicate = false;  // its idempotency key was seen before; nothing of it was stored
    std::string id;          // the stored id: the new one, or the original's on a repeat
    std::string outcome;     // the OperationOutcome to answer: this message's, or the original's on a repeat
};

struct CommitOutcome {
    CommitStatus status = CommitStatus::store_failed;
    std::vector<CommittedMessage> messages;  // empty unless committed
    std::size_t queued = 0;                  // outbox rows newly stored: the delivery worker has work
};

using Committed = std::function<void(CommitOutcome)>;

// Queues the write set; `done` runs once, on the store's writer thread after
// the commit (or on this thread when the store refuses it at once).
void commit_intake(store::Store& store, store::WriteSet writes, Committed done);

// The same, waiting for the outcome: for the export lane, which owns its thread.
CommitOutcome commit_intake_and_wait(store::Store& store, store::WriteSet writes);

}  // namespace carebridge::gateway::intake
