#pragma once
// The delivery worker: pushes outbox items to partners' endpoints, on its own
// thread, with retries, backoff and dead letters (retry_policy.hpp).
//
//   outbox (store) ─► due heads ─► push attempt (push_client.hpp) ─► commit the
//   update and its audit events ─► the recipient's next item
//
// Order and isolation: at most one item per recipient is in flight, and only
// a recipient's oldest pending item is ever due (Store::due_outbox_items), so
// one recipient's deliveries arrive in order; up to max_recipients_in_flight
// recipients are served at once, so a slow or failing partner holds up only
// itself. The next item of a recipient is sent only after the previous one's
// result is durable.
//
// At-least-once: an item is marked delivered only after the partner's 2xx,
// in a commit of its own. A worker stopped (or a gateway killed) between the
// two leaves it pending and sends it again, with the same Idempotency-Key, so
// a receiver that deduplicates on the key sees each item once. Nothing in
// flight is held in memory alone: a new worker resumes from the outbox.
//
// There is one worker per SQLite store. On PostgreSQL every instance runs
// one on the shared outbox: the store claims the heads it hands out with a
// lease (SKIP LOCKED), so each is attempted by one instance at a time.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "delivery/delivery_options.hpp"
#include "delivery/push_endpoint.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::delivery {

// The endpoint settings for an item's recipient as the config says now.
// nullopt (or an empty function): the item's endpoint_url with the system's
// CAs and no credentials. A non-empty url here wins over the item's, so a
// partner that moved its webhook gets its queued items at the new address.
using EndpointLookup = std::function<std::optional<PushEndpoint>(const store::OutboxItem& item)>;

// Since start, for /metrics.
struct DeliveryCounts {
    std::uint64_t delivered = 0;
    std::uint64_t failed_attempts = 0;
    std::uint64_t dead_lettered = 0;
    std::uint64_t store_errors = 0;  // reads or commits the store refused
};

class DeliveryWorker {
public:
    // `store` must outlive the worker, or at least its stop().
    DeliveryWorker(store::Store& store, DeliveryOptions options = {}, EndpointLookup endpoints = {});
    ~DeliveryWorker();  // stop()
    DeliveryWorker(const DeliveryWorker&) = delete;
    DeliveryWorker& operator=(const DeliveryWorker&) = delete;

    // Starts the worker's thread, which looks at the outbox at once (resuming
    // whatever a previous run left pending). False with `error` when the
    // thread cannot start or it is already running.
    bool start(std::string& error);

    // Cancels the attempts in flight (their items stay pending), waits for
    // results already received to be committed, and joins the thread. Call it
    // before closing the store. Idempotent; start() may follow.
    void stop();

    // New outbox rows (or a retried dead letter) were committed: look now,
    // not at the next poll. Cheap and safe from any thread, e.g. a commit's
    // done callback on the store's writer thread.
    void wake();

    DeliveryCounts counts() const;

private:
    class Engine;
    std::unique_ptr<Engine> engine_;
};

}  // namespace carebridge::gateway::delivery
