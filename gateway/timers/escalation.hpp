#pragma once
// Red referrals' escalation (config `escalation`), and that of referrals
// left in the triage queue (config `triage.escalate_after_seconds`, the same
// path: a triaged referral's timer is set when it is triaged and ended when
// an admin re-routes or returns it; while it is still open when due it is
// escalated as below, with detail "why": "triage"). A round reads the timers
// due from the store and, for each whose referral no recipient has taken on
// (accepted, contacted, completed, discharged), commits one write set with an
// "escalated" step in its history, a status notice to its originator and a
// status_changed audit entry. A timer is never fired twice, even by two
// instances on one database: the store refuses a second firing. No sockets
// and no requests: the server's steady_timer calls a round, a test calls it
// directly.

#include <chrono>
#include <cstddef>
#include <functional>

#include "config/config.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::timers {

// How often to look for due timers: a few times within the configured wait,
// at most every minute and at least every second.
std::chrono::seconds escalation_check_interval(std::chrono::seconds red_escalation_after);
// The same for the shorter of the config's two waits (red, triage) that is set.
std::chrono::seconds escalation_check_interval(const config::Config& config);

// What a round needs: the store it reads and commits to, the config (the
// wait, organisations' ODS codes and endpoints), and who to wake when
// notices were queued (DeliveryWorker::wake).
struct Escalations {
    store::Store& store;
    const config::Config& config;
    std::function<void()> queued;
};

// Called once, after the round's last commit reported (on the store's writer
// thread), or at once on the caller's thread when nothing was due or a read
// failed: how many referrals were escalated, and whether the store failed.
using EscalationsDone = std::function<void(std::size_t escalated, bool failed)>;

// One round for the timers due at `now`, at most 100 of them (the rest wait
// for the next round). Reads the store on the caller's thread.
void escalate_overdue(const Escalations& escalations, std::chrono::system_clock::time_point now,
                      EscalationsDone done);

}  // namespace carebridge::gateway::timers
