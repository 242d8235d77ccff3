#include "intake/export_intake.hpp"

#include "intake/commit.hpp"

namespace carebridge::gateway::intake {

ExportSummary take_in_export(ExportStream& stream, const Arrival& arrival, const Partnership& partnership,
                             store::Store& store, const ExportOptions& options) {
    ExportSummary summary;
    store::WriteSet group;
    std::vector<std::size_t> ordinals;  // index for index with group.messages
    std::vector<bool> held;             // the same: triaged rather than accepted
    const auto flush = [&] {
        if (group.messages.empty() && group.audit.empty()) return true;
        const CommitOutcome outcome = commit_intake_and_wait(store, std::move(group));
        group = store::WriteSet();
        if (outcome.status == CommitStatus::store_failed) return false;
        for (std::size_t i = 0; i < outcome.messages.size(); ++i) {
            if (outcome.messages[i].duplicate)
                ++summary.duplicates;
            else if (held[i])
                ++summary.triaged;
            else
                ++summary.accepted;
            if (summary.stored.size() < options.max_listed) summary.stored.emplace_back(ordinals[i], outcome.messages[i].id);
        }
        ordinals.clear();
        held.clear();
        if (outcome.queued > 0 && options.queued) options.queued();
        return true;
    };

    ExportClient client;
    for (;;) {
        const auto step = stream.next(client);
        if (step == ExportStream::Step::end) break;
        if (step == ExportStream::Step::fatal) {
            summary.fatal = true;
            summary.issues.append(std::move(client.issues));
            break;
        }
        if (step == ExportStream::Step::rejected) {
            ++summary.rejected;
            summary.issues.append(std::move(client.issues));
            continue;
        }
        Arrival one = arrival;
        if (!arrival.idempotency_key.empty()) one.idempotency_key += "#" + std::to_string(client.ordinal);
        IntakePlan plan = plan_intake(client.record, std::move(client.payload), client.issues, one, partnership,
                                      std::chrono::system_clock::now());
        summary.issues.append(std::move(client.issues));
        if (plan.status == PlanStatus::no_id) {
            summary.status = ExportStatus::store_failed;
            return summary;
        }
        if (plan.status == PlanStatus::refused) {
            ++summary.refused;
            if (summary.refusals.size() < options.max_refusals_listed)
                summary.refusals.push_back(ClientRefusal{client.ordinal, plan.refusal->status, plan.refusal->message});
        } else {
            ordinals.push_back(client.ordinal);
            held.push_back(plan.status == PlanStatus::triaged);
        }
        join(group, std::move(plan.writes));
        // Refused clients add audit entries alone, so the audit count bounds a group too.
        if (group.messages.size() >= options.group || group.audit.size() >= 16 * options.group) {
            if (!flush()) {
                summary.status = ExportStatus::store_failed;
                return summary;
            }
        }
    }
    if (!flush()) summary.status = ExportStatus::store_failed;
    return summary;
}

}  // namespace carebridge::gateway::intake
