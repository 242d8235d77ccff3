#include "delivery/delivery_worker.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "delivery/push_client.hpp"
#include "delivery/retry_policy.hpp"

namespace carebridge::gateway::delivery {

namespace net = boost::asio;
using SystemClock = std::chrono::system_clock;

// Everything below runs on the worker's thread, except start(), stop(),
// wake() and counts(), which only post to it or read atomics.
class DeliveryWorker::Engine {
public:
    Engine(store::Store& store, DeliveryOptions options, EndpointLookup endpoints)
        : store_(store), options_(std::move(options)), endpoints_(std::move(endpoints)), timer_(io_) {
        options_.max_recipients_in_flight = std::max<std::size_t>(options_.max_recipients_in_flight, 1);
        if (!options_.clock) options_.clock = [] { return SystemClock::now(); };
        if (!options_.jitter) {
            options_.jitter = [random = std::mt19937_64(std::random_device{}())]() mutable {
                return std::uniform_real_distribution<double>(0.0, 1.0)(random);
            };
        }
    }

    bool start(std::string& error) {
        std::lock_guard lock(lifecycle_);
        if (thread_.joinable()) {
            error = "the delivery worker is already running";
            return false;
        }
        io_.restart();
        stopping_ = false;
        work_.emplace(io_.get_executor());
        net::post(io_, [this] { poll(); });  // resume what a previous run left pending
        try {
            thread_ = std::thread([this] { run(); });
        } catch (const std::system_error& e) {
            work_.reset();
            error = std::string("cannot start the delivery thread: ") + e.what();
            return false;
        }
        return true;
    }

    void stop() {
        std::lock_guard lock(lifecycle_);
        if (!thread_.joinable()) return;
        net::post(io_, [this] {
            stopping_ = true;
            timer_.cancel();
            for (auto& [recipient, attempt] : in_flight_)
                if (attempt) attempt->cancel();
            finish_if_idle();
        });
        thread_.join();
    }

    void wake() {
        if (wake_posted_.exchange(true)) return;  // one poll answers every wake before it
        net::post(io_, [this] {
            wake_posted_.store(false);
            poll();
        });
    }

    DeliveryCounts counts() const {
        DeliveryCounts c;
        c.delivered = delivered_.load();
        c.failed_attempts = failed_attempts_.load();
        c.dead_lettered = dead_lettered_.load();
        c.store_errors = store_errors_.load();
        return c;
    }

private:
    void run() {
        for (;;) {
            try {
                io_.run();
                return;
            } catch (const std::exception& e) {  // out of memory in a handler: keep delivering
                note(std::string("delivery: ") + e.what());
            }
        }
    }

    void note(const std::string& line) {
        if (options_.log) options_.log(line);
    }

    // Starts an attempt for every due head whose recipient is idle, up to the
    // bound, then sleeps until the next head falls due (or idle_poll).
    void poll() {
        if (stopping_) return;
        const auto now = options_.clock();
        const std::size_t bound = options_.max_recipients_in_flight;
        if (in_flight_.size() < bound) {
            std::error_code error;
            // Heads of busy recipients come back too; ask for enough to fill every free slot.
            // A store that claims what it returns (PostgreSQL) leaves them out, and
            // gets asked for only what will start, so no claim sits unused.
            const std::size_t wanted =
                store_.claims_outbox_items() ? bound - in_flight_.size() : bound + in_flight_.size();
            auto items = store_.due_outbox_items(now, wanted, error);
            if (error) {
                ++store_errors_;
                note("delivery: cannot read the outbox: " + error.message());
            }
            for (auto& item : items) {
                if (in_flight_.size() >= bound) break;
                if (in_flight_.contains(item.recipient)) continue;
                launch(std::move(item));
            }
        }
        arm_timer(now);
    }

    void arm_timer(SystemClock::time_point now) {
        std::error_code error;
        const auto next = store_.next_outbox_attempt(error);
        auto delay = options_.idle_poll;
        // A head due already belongs to a busy recipient or waits for a free
        // slot: a finishing attempt polls again, so only the idle poll is needed.
        if (next && *next > now)
            delay = std::min(delay, std::chrono::ceil<std::chrono::milliseconds>(*next - now));
        timer_.expires_after(delay);
        timer_.async_wait([this](boost::system::error_code ec) {
            if (!ec) poll();
        });
    }

    PushEndpoint endpoint_for(const store::OutboxItem& item) {
        std::optional<PushEndpoint> found;
        if (endpoints_) {
            try {
                found = endpoints_(item);
            } catch (...) {
            }
        }
        PushEndpoint endpoint = found.value_or(PushEndpoint{});
        if (endpoint.url.empty()) endpoint.url = item.endpoint_url;
        return endpoint;
    }

    void launch(store::OutboxItem item) {
        PushRequest request;
        request.endpoint = endpoint_for(item);
        request.content_type = item.content_type;
        request.idempotency_key = item.idempotency_key;
        request.referral_id = item.message_id;
        request.body = std::move(item.payload);  // the record below needs only the item's metadata
        const std::string recipient = item.recipient;
        // start_push never calls back inline, so the entry is in place first.
        in_flight_[recipient] = start_push(io_, std::move(request), options_,
                                           [this, item = std::move(item)](AttemptResult result) mutable {
                                               on_attempt(std::move(item), std::move(result));
                                           });
    }

    void on_attempt(store::OutboxItem item, AttemptResult result) {
        if (result.cancelled) {
            // Stopping: the item stays pending and is sent again after the next start.
            in_flight_.erase(item.recipient);
            finish_if_idle();
            return;
        }
        AttemptRecord record = record_attempt(item, result, options_.clock(), options_.jitter(), options_);
        store::WriteSet writes;
        writes.outbox_updates.push_back(std::move(record.update));
        writes.audit = std::move(record.events);
        ++commits_outstanding_;
        store_.commit(std::move(writes), [this, recipient = item.recipient, verdict = record.verdict,
                                          id = item.id](store::CommitResult committed) {
            // On the store's writer thread (or inline, when refused): back to ours.
            net::post(io_, [this, recipient, verdict, id, ok = !committed.error,
                            message = std::move(committed.error_message)] {
                on_committed(recipient, verdict, id, ok, message);
            });
        });
    }

    void on_committed(const std::string& recipient, Verdict verdict, const std::string& id, bool ok,
                      const std::string& message) {
        --commits_outstanding_;
        in_flight_.erase(recipient);
        if (ok) {
            if (verdict == Verdict::delivered) ++delivered_;
            if (verdict != Verdict::delivered) ++failed_attempts_;
            if (verdict == Verdict::dead) {
                ++dead_lettered_;
                note("delivery: outbox item " + id + " to " + recipient + " is dead-lettered");
            }
        } else {
            // The item is still pending as it was: it is tried again, which at
            // worst repeats a delivery the partner deduplicates.
            ++store_errors_;
            note("delivery: cannot record an attempt for " + recipient + ": " + message);
        }
        if (stopping_) return finish_if_idle();
        // The recipient's next item may be due now; a failing store waits for the timer.
        if (ok) poll();
    }

    void finish_if_idle() {
        if (!stopping_ || !in_flight_.empty() || commits_outstanding_ != 0) return;
        work_.reset();
        io_.stop();
    }

    store::Store& store_;
    DeliveryOptions options_;
    EndpointLookup endpoints_;
    net::io_context io_;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
    net::steady_timer timer_;
    std::map<std::string, std::shared_ptr<PushAttempt>, std::less<>> in_flight_;  // by recipient
    std::size_t commits_outstanding_ = 0;
    bool stopping_ = false;
    std::atomic<bool> wake_posted_{false};
    std::atomic<std::uint64_t> delivered_{0}, failed_attempts_{0}, dead_lettered_{0}, store_errors_{0};
    std::mutex lifecycle_;  // start() and stop() from different threads
    std::thread thread_;
};

DeliveryWorker::DeliveryWorker(store::Store& store, DeliveryOptions options, EndpointLookup endpoints)
    : engine_(std::make_unique<Engine>(store, std::move(options), std::move(endpoints))) {}

DeliveryWorker::~DeliveryWorker() { stop(); }

bool DeliveryWorker::start(std::string& error) { return engine_->start(error); }
void DeliveryWorker::stop() { engine_->stop(); }
void DeliveryWorker::wake() { engine_->wake(); }
DeliveryCounts DeliveryWorker::counts() const { return engine_->counts(); }

}  // namespace carebridge::gateway::delivery
