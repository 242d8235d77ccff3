#include "intake/commit.hpp"

#include <future>

namespace carebridge::gateway::intake {

void commit_intake(store::Store& store, store::WriteSet writes, Committed done) {
    std::vector<std::string> outcomes;
    outcomes.reserve(writes.messages.size());
    for (const auto& m : writes.messages) outcomes.push_back(m.outcome);
    store.commit(std::move(writes), [outcomes = std::move(outcomes), done = std::move(done)](store::CommitResult result) {
        CommitOutcome out;
        if (result.error || result.messages.size() != outcomes.size()) return done(std::move(out));
        out.status = CommitStatus::committed;
        out.messages.reserve(result.messages.size());
        for (std::size_t i = 0; i < result.messages.size(); ++i) {
            const store::MessageResult& stored = result.messages[i];
            out.messages.push_back(
                CommittedMessage{stored.duplicate, stored.id, stored.duplicate ? stored.outcome : outcomes[i]});
        }
        for (const auto& id : result.outbox_ids)
            if (!id.empty()) ++out.queued;
        done(std::move(out));
    });
}

CommitOutcome commit_intake_and_wait(store::Store& store, store::WriteSet writes) {
    std::promise<CommitOutcome> promise;
    auto outcome = promise.get_future();
    commit_intake(store, std::move(writes), [&promise](CommitOutcome o) { promise.set_value(std::move(o)); });
    return outcome.get();
}

}  // namespace carebridge::gateway::intake
