#include "timers/escalation.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "audit/audit_event.hpp"
#include "audit/detail.hpp"
#include "status/history.hpp"
#include "status/status_notice.hpp"
#include "store/store_error.hpp"

namespace carebridge::gateway::timers {

namespace {

constexpr std::size_t timers_per_round = 100;

// The configured wait in the words an originator reads: "4 hours", "90 minutes", "30 seconds".
std::string describe_wait(std::chrono::seconds wait) {
    const auto count = wait.count();
    const auto in = [count](long long unit, const char* one, const char* many) {
        const long long n = count / unit;
        return std::to_string(n) + " " + (n == 1 ? one : many);
    };
    if (count >= 3600 && count % 3600 == 0) return in(3600, "hour", "hours");
    if (count >= 60 && count % 60 == 0) return in(60, "minute", "minutes");
    return in(1, "second", "seconds");
}

// One round's commits: `done` runs once, after the last of them reports.
struct EscalationRound {
    std::mutex mutex;
    std::size_t waiting = 0;
    std::size_t escalated = 0;
    bool failed = false;
    EscalationsDone done;
    std::function<void()> queued;

    // A commit reported; `fired` when it escalated a referral.
    void report(bool fired, bool store_failed) {
        EscalationsDone finish;
        std::size_t total = 0;
        bool any_failed = false;
        {
            std::lock_guard lock(mutex);
            if (fired) ++escalated;
            if (store_failed) failed = true;
            if (--waiting > 0) return;
            finish = std::move(done);
            total = escalated;
            any_failed = failed;
        }
        if (total > 0 && queued) queued();
        if (finish) finish(total, any_failed);
    }
};

// The write set that escalates `message`: fires its timer, adds the step,
// tells the originator and records it.
store::WriteSet escalation_of(const config::Config& config, const store::StoredMessage& message,
                              const store::EscalationTimer& timer, std::vector<store::HistoryEntry> history,
                              std::chrono::system_clock::time_point now, const std::string& reason,
                              std::string_view why) {
    store::WriteSet writes;
    writes.escalation_timers_fired.push_back(timer.message_id);
    store::HistoryEntry step;
    step.message_id = message.id;
    step.organisation = std::string(status::gateway_actor);
    step.status = "escalated";
    step.reason = reason;
    step.time = audit::format_instant(now);
    history.push_back(step);
    writes.history.push_back(step);
    const std::vector<std::string> told_ods = status::queue_status_notices(
        writes, config, message, step, history, status::is_bouncing(history), {message.sender});

    audit::AuditEvent e;
    e.action = audit::AuditAction::status_changed;
    e.actor_role = std::string(status::gateway_actor);
    e.patient = message.nhs_number;
    e.message_id = message.id;
    e.referral_id = message.referral_id;
    e.recipient = status::ods_code_of(config, message.sender);
    e.outcome = std::string(audit::outcome::success);
    e.detail = audit::Detail()
                   .add("status", "escalated")
                   .add("why", why)
                   .add("due_at", timer.due_at)
                   .add("notified", told_ods)
                   .text();
    writes.audit.push_back(std::move(e));
    return writes;
}

}  // namespace

std::chrono::seconds escalation_check_interval(std::chrono::seconds red_escalation_after) {
    return std::clamp<std::chrono::seconds>(red_escalation_after / 4, std::chrono::seconds(1),
                                            std::chrono::seconds(60));
}

std::chrono::seconds escalation_check_interval(const config::Config& config) {
    const auto red = config.red_escalation_after, triage = config.triage_escalate_after;
    if (red.count() <= 0 || triage.count() <= 0) return escalation_check_interval(std::max(red, triage));
    return escalation_check_interval(std::min(red, triage));
}

void escalate_overdue(const Escalations& escalations, std::chrono::system_clock::time_point now,
                      EscalationsDone done) {
    const auto finish = [&done](std::size_t escalated, bool failed) {
        if (done) done(escalated, failed);
    };
    const config::Config& config = escalations.config;
    store::Store& store = escalations.store;
    if (config.red_escalation_after.count() <= 0 && config.triage_escalate_after.count() <= 0)
        return finish(0, false);
    std::error_code error;
    const auto due = store.due_escalation_timers(audit::format_instant(now), timers_per_round, error);
    if (error) return finish(0, true);
    if (due.empty()) return finish(0, false);

    // Each escalation is its own write set that fires its timer, so one the
    // store refuses (another instance on the same database fired it, or the
    // referral was taken on since it was read here) drops that one alone.
    store::WriteSet not_needed;
    std::vector<store::WriteSet> fired;
    const std::string red_reason =
        "red referral not accepted within " + describe_wait(config.red_escalation_after) + " of being sent";
    const std::string triage_reason = "referral held in triage for " + describe_wait(config.triage_escalate_after) +
                                      " without being re-routed or returned";
    for (const store::EscalationTimer& timer : due) {
        const auto message = store.find_message(timer.message_id, error);
        if (error) return finish(0, true);
        if (!message) {
            not_needed.escalation_timers_done.push_back(timer.message_id);
            continue;
        }
        auto history = store.referral_history(message->id, error);
        if (error) return finish(0, true);
        // A referral held in triage waits on the partnership's admins, not on
        // a recipient: it escalates while it is still held.
        const auto held = store.find_triage_item(message->id, error);
        if (error) return finish(0, true);
        // A wait no longer configured leaves its timers pending, as before any were set.
        if (held ? config.triage_escalate_after.count() <= 0 : config.red_escalation_after.count() <= 0) continue;
        if (held) {
            if (held->state != store::TriageState::open) {
                not_needed.escalation_timers_done.push_back(timer.message_id);
                continue;
            }
            fired.push_back(escalation_of(config, *message, timer, std::move(history), now, triage_reason, "triage"));
            continue;
        }
        if (std::any_of(history.begin(), history.end(),
                        [](const store::HistoryEntry& h) { return status::is_taken_on(h.status); })) {
            not_needed.escalation_timers_done.push_back(timer.message_id);
            continue;
        }
        fired.push_back(escalation_of(config, *message, timer, std::move(history), now, red_reason, "red"));
    }

    auto round = std::make_shared<EscalationRound>();
    round->waiting = fired.size() + (not_needed.escalation_timers_done.empty() ? 0 : 1);
    round->done = std::move(done);
    round->queued = escalations.queued;
    if (!not_needed.escalation_timers_done.empty())
        store.commit(std::move(not_needed), [round](store::CommitResult result) {
            round->report(false, static_cast<bool>(result.error));
        });
    for (store::WriteSet& writes : fired)
        store.commit(std::move(writes), [round](store::CommitResult result) {
            const bool refused = result.error == store::StoreErrc::escalation_not_pending;
            round->report(!result.error, result.error && !refused);
        });
}

}  // namespace carebridge::gateway::timers
