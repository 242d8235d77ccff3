// The shared store: PostgreSQL through libpq, for several gateway instances
// on one database. As in the SQLite store one writer thread groups queued
// write sets into a transaction each, every write set in its own savepoint,
// and a pool of connections serves reads. What several instances add: the
// audit chain head is locked first in every writing transaction (pg_audit),
// idempotency keys are unique in the table, and delivery claims outbox rows
// with a lease (pg_outbox).

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <new>
#include <thread>
#include <utility>

#include <openssl/rand.h>

#include "audit/checkpoint.hpp"
#include "audit/detail.hpp"
#include "pg_audit.hpp"
#include "pg_connection.hpp"
#include "pg_outbox.hpp"
#include "pg_schema.hpp"
#include "store.hpp"
#include "store_error.hpp"

namespace carebridge::gateway::store {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t largest_batch = 1 << 16;  // the batch vector is reserved whole at open

void finish(const Store::Done& done, CommitResult result) noexcept {
    if (!done) return;
    try {
        done(std::move(result));
    } catch (...) {
    }
}

CommitResult failure(std::error_code error, std::string message) noexcept {
    CommitResult result;
    result.error = error;
    result.error_message = std::move(message);
    return result;
}

// host:pid:random, so two instances on one host (or a restarted one) never
// share claims.
std::string default_instance() {
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
    std::array<unsigned char, 4> random{};
    RAND_bytes(random.data(), static_cast<int>(random.size()));
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%02x%02x%02x%02x", random[0], random[1], random[2], random[3]);
    return std::string(host.data()) + ":" + std::to_string(::getpid()) + ":" + suffix;
}

struct PendingCommit {
    WriteSet writes;
    Store::Done done;
};

class PostgresqlStore final : public Store {
public:
    static std::unique_ptr<Store> open(const PostgresqlOptions& options, std::error_code& error, std::string& message);

    ~PostgresqlStore() override { close(); }

    void commit(WriteSet writes, Done done) override;
    std::optional<StoredMessage> find_message(std::string_view id, std::error_code& error) override;
    std::vector<HistoryEntry> referral_history(std::string_view message_id, std::error_code& error) override;
    std::vector<std::string> message_recipients(std::string_view message_id, std::error_code& error) override;
    std::vector<EscalationTimer> due_escalation_timers(std::string_view now, std::size_t limit,
                                                       std::error_code& error) override;
    std::vector<audit::AuditEntry> find_audit_entries(const audit::AuditQuery& query, std::error_code& error) override {
        ReaderLease reader = lease_reader();
        return store::find_audit_entries(*reader, query, error);
    }
    std::optional<audit::Checkpoint> latest_audit_checkpoint(std::error_code& error) override {
        ReaderLease reader = lease_reader();
        return store::latest_audit_checkpoint(*reader, error);
    }
    std::optional<audit::Checkpoint> audit_checkpoint_at(std::uint64_t tree_size, std::error_code& error) override {
        ReaderLease reader = lease_reader();
        return store::audit_checkpoint_at(*reader, tree_size, error);
    }
    std::vector<audit::Hash> audit_leaf_hashes(std::uint64_t first_seq, std::uint64_t last_seq,
                                               std::error_code& error) override {
        ReaderLease reader = lease_reader();
        return store::audit_leaf_hashes(*reader, first_seq, last_seq, error);
    }
    const audit::PublicKey& audit_public_key() const override { return audit_.public_key(); }
    std::vector<OutboxItem> due_outbox_items(std::chrono::system_clock::time_point now, std::size_t limit,
                                             std::error_code& error) override {
        ReaderLease reader = lease_reader();
        return claim_due_outbox_items(*reader, now, limit, options_.instance, options_.outbox_lease, error);
    }
    bool claims_outbox_items() const override { return true; }
    std::optional<std::chrono::system_clock::time_point> next_outbox_attempt(std::error_code& error) override {
        ReaderLease reader = lease_reader();
        return store::next_outbox_attempt(*reader, error);
    }
    std::vector<OutboxItem> find_outbox_items(const OutboxQuery& query, std::error_code& error) override {
        ReaderLease reader = lease_reader();
        return store::find_outbox_items(*reader, query, error);
    }
    std::uint64_t count_outbox_items(const OutboxQuery& query, std::error_code& error) override {
        ReaderLease reader = lease_reader();
        return store::count_outbox_items(*reader, query, error);
    }
    std::optional<OutboxItem> find_outbox_item(std::string_view id, std::error_code& error) override {
        ReaderLease reader = lease_reader();
        return store::find_outbox_item(*reader, id, error);
    }
    bool ready() override;
    void close() override;

private:
    explicit PostgresqlStore(const PostgresqlOptions& options) : options_(options) {
        options_.max_batch = std::clamp<std::size_t>(options_.max_batch, 1, largest_batch);
        options_.read_connections = std::max<std::size_t>(options_.read_connections, 1);
        if (options_.instance.empty()) options_.instance = default_instance();
    }

    std::error_code open_writer(std::shared_ptr<const audit::SigningKey> key, std::string& message);
    std::error_code open_readers(std::string& message);

    void write_loop();
    void commit_batch(std::vector<PendingCommit>& batch);
    void abandon_batch(std::vector<PendingCommit>& batch) noexcept;
    CommitResult apply(const WriteSet& writes, bool& transaction_lost);
    std::error_code insert(const StoredMessage& message, MessageResult& result, std::string& text);
    std::error_code insert_history(const std::vector<HistoryEntry>& history, std::string& message);
    std::error_code set_escalation_timers(const WriteSet& writes, const std::vector<std::string_view>& repeated,
                                          std::string& message);
    std::error_code purge(const std::string& before, CommitResult& result, std::string& message);
    void end_transaction_on_error() noexcept;

    class ReaderLease {
    public:
        ReaderLease(PostgresqlStore& store, PgConnection& reader) : store_(store), reader_(reader) {}
        ~ReaderLease() { store_.return_reader(reader_); }
        ReaderLease(const ReaderLease&) = delete;
        ReaderLease& operator=(const ReaderLease&) = delete;
        PgConnection& operator*() { return reader_; }
        PgConnection* operator->() { return &reader_; }

    private:
        PostgresqlStore& store_;
        PgConnection& reader_;
    };
    ReaderLease lease_reader();
    void return_reader(PgConnection& reader);

    PostgresqlOptions options_;

    PgConnection writer_;
    PgAuditAppender audit_;
    PgOutboxWriter outbox_;

    std::vector<std::unique_ptr<PgConnection>> readers_;
    std::vector<PgConnection*> idle_readers_;
    std::mutex readers_mutex_;
    std::condition_variable reader_returned_;

    std::mutex queue_mutex_;
    std::condition_variable queue_changed_;
    std::deque<PendingCommit> queue_;
    bool closing_ = false;

    // Why the last commit failed: none, the connection (the server went
    // away; ready() follows the server), or anything else (not ready until
    // a commit succeeds again, as in SQLite).
    enum class LastCommit { ok, connection_lost, failed };
    std::atomic<LastCommit> last_commit_{LastCommit::ok};
    std::vector<PendingCommit> batch_;
    std::mutex close_mutex_;
    bool claims_released_ = false;  // guarded by close_mutex_
    std::thread writer_thread_;
    std::thread::id writer_id_;
};

std::unique_ptr<Store> PostgresqlStore::open(const PostgresqlOptions& options, std::error_code& error,
                                             std::string& message) {
    error.clear();
    message.clear();
    try {
        if (options.url.empty()) {
            error = std::make_error_code(std::errc::invalid_argument);
            message = "the PostgreSQL store's URL is not set";
            return nullptr;
        }
        if (options.audit_signing_key.empty()) {
            error = std::make_error_code(std::errc::invalid_argument);
            message = "the PostgreSQL store needs the path of the audit signing key";
            return nullptr;
        }
        auto key = audit::SigningKey::load_or_create(options.audit_signing_key, message);
        if (!key) {
            error = std::make_error_code(std::errc::io_error);
            return nullptr;
        }
        std::unique_ptr<PostgresqlStore> store(new PostgresqlStore(options));
        if ((error = store->open_writer(std::move(key), message))) return nullptr;
        if ((error = store->open_readers(message))) return nullptr;
        store->batch_.reserve(store->options_.max_batch);
        store->writer_thread_ = std::thread([raw = store.get()] { raw->write_loop(); });
        store->writer_id_ = store->writer_thread_.get_id();
        return store;
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        message = "out of memory opening the store";
    } catch (const std::system_error& e) {
        error = e.code();
        message = "cannot start the store's writer thread";
    }
    return nullptr;
}

std::error_code PostgresqlStore::open_writer(std::shared_ptr<const audit::SigningKey> key, std::string& message) {
    std::error_code error;
    auto connection = PgConnection::connect(options_.url, "carebridge writer", error, message);
    if (!connection) {
        message = "cannot connect to PostgreSQL: " + message;
        return error;
    }
    writer_ = std::move(*connection);
    if ((error = migrate_postgresql(writer_, message))) return error;
    if ((error = record_signing_key(writer_, key->public_key(), message))) return error;
    if ((error = writer_.prepare("message_insert",
                                 "INSERT INTO messages (id, sender, client, idempotency_key, received_at, "
                                 "source_format, content_type, payload, canonical, outcome, nhs_number, referral_id) "
                                 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
                                 "ON CONFLICT (sender, idempotency_key) DO NOTHING RETURNING id",
                                 message)))
        return error;
    if ((error = writer_.prepare("message_original",
                                 "SELECT id, outcome FROM messages WHERE sender = $1 AND idempotency_key = $2",
                                 message)))
        return error;
    if ((error = writer_.prepare("history_insert",
                                 "INSERT INTO referral_history (message_id, organisation, service, status, reason, "
                                 "time) VALUES ($1, $2, $3, $4, $5, $6)",
                                 message)))
        return error;
    if ((error = writer_.prepare("escalation_set",
                                 "INSERT INTO escalation_timers (message_id, due_at, state) VALUES ($1, $2, 'pending') "
                                 "ON CONFLICT (message_id) DO NOTHING",
                                 message)))
        return error;
    if ((error = writer_.prepare("escalation_done",
                                 "UPDATE escalation_timers SET state = 'done' WHERE message_id = $1", message)))
        return error;
    if ((error = writer_.prepare("escalation_fire",
                                 "UPDATE escalation_timers SET state = 'done' WHERE message_id = $1 AND state = 'pending' "
                                 "RETURNING message_id",
                                 message)))
        return error;
    if ((error = outbox_.prepare(writer_, message))) return error;
    return audit_.prepare(writer_, std::move(key), message);
}

std::error_code PostgresqlStore::open_readers(std::string& message) {
    for (std::size_t i = 0; i < options_.read_connections; ++i) {
        std::error_code error;
        auto connection = PgConnection::connect(options_.url, "carebridge reader", error, message);
        if (!connection) {
            message = "cannot connect to PostgreSQL: " + message;
            return error;
        }
        auto reader = std::make_unique<PgConnection>(std::move(*connection));
        if ((error = reader->prepare("find_message",
                                     "SELECT id, sender, client, idempotency_key, received_at, source_format, "
                                     "content_type, payload, canonical, outcome, nhs_number, referral_id "
                                     "FROM messages WHERE id = $1",
                                     message)))
            return error;
        if ((error = reader->prepare("ping", "SELECT 1", message))) return error;
        if ((error = prepare_audit_reads(*reader, message))) return error;
        idle_readers_.push_back(reader.get());
        readers_.push_back(std::move(reader));
    }
    return {};
}

void PostgresqlStore::commit(WriteSet writes, Done done) {
    PendingCommit pending{std::move(writes), std::move(done)};
    CommitResult refusal;
    {
        std::lock_guard lock(queue_mutex_);
        if (closing_) {
            refusal = failure(StoreErrc::closed, "the store is closed");
        } else if (queue_.size() >= options_.max_queue) {
            refusal = failure(std::make_error_code(std::errc::resource_unavailable_try_again),
                              "the store's queue is full (" + std::to_string(options_.max_queue) + " write sets)");
        } else {
            try {
                queue_.push_back(std::move(pending));
            } catch (const std::bad_alloc&) {
                refusal =
                    failure(std::make_error_code(std::errc::not_enough_memory), "out of memory queueing a commit");
            }
        }
    }
    if (refusal.error) {
        finish(pending.done, std::move(refusal));
        return;
    }
    queue_changed_.notify_one();
}

void PostgresqlStore::write_loop() {
    for (;;) {
        batch_.clear();
        {
            std::unique_lock lock(queue_mutex_);
            queue_changed_.wait(lock, [this] { return !queue_.empty() || closing_; });
            if (queue_.empty()) return;
            const std::size_t count = std::min(queue_.size(), options_.max_batch);
            for (std::size_t i = 0; i < count; ++i) {
                batch_.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        try {
            commit_batch(batch_);
        } catch (...) {
            abandon_batch(batch_);
        }
    }
}

void PostgresqlStore::end_transaction_on_error() noexcept {
    if (!writer_.broken() && writer_.in_transaction()) {
        std::string ignored;
        writer_.execute("ROLLBACK", ignored);
    }
}

void PostgresqlStore::abandon_batch(std::vector<PendingCommit>& batch) noexcept {
    end_transaction_on_error();
    last_commit_.store(LastCommit::failed);
    for (PendingCommit& pending : batch) {
        if (pending.done)
            finish(std::exchange(pending.done, nullptr),
                   failure(std::make_error_code(std::errc::not_enough_memory), "out of memory"));
    }
}

void PostgresqlStore::commit_batch(std::vector<PendingCommit>& batch) {
    const auto started = Clock::now();
    std::vector<CommitResult> results(batch.size());
    std::error_code error;
    std::string message;

    // A server that went away is reconnected to here, at the next batch.
    if (writer_.ensure(error, message)) {
        if ((error = writer_.execute("BEGIN", message))) {
            message = "cannot begin a transaction: " + message;
        } else if ((error = audit_.lock_head(message))) {
            message = "cannot lock the audit log's chain head: " + message;
        } else {
            for (std::size_t i = 0; i < batch.size() && !error; ++i) {
                bool transaction_lost = false;
                results[i] = apply(batch[i].writes, transaction_lost);
                if (transaction_lost) {
                    error = results[i].error ? results[i].error : postgresql_error(nullptr, writer_.get());
                    message = "the transaction was abandoned: " + results[i].error_message;
                }
            }
            if (!error) error = audit_.save_head(message);
            if (!error && (error = writer_.execute("COMMIT", message))) message = "commit failed: " + message;
        }
        if (error) end_transaction_on_error();
    } else {
        message = "cannot reach PostgreSQL: " + message;
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
    if (!error)
        last_commit_.store(LastCommit::ok);
    else if (writer_.broken() || error == std::errc::io_error)
        last_commit_.store(LastCommit::connection_lost);
    else
        last_commit_.store(LastCommit::failed);

    for (std::size_t i = 0; i < batch.size(); ++i)
        finish(std::exchange(batch[i].done, nullptr), error ? failure(error, message) : std::move(results[i]));
    if (!error && options_.observer.on_commit) {
        try {
            options_.observer.on_commit(elapsed, batch.size());
        } catch (...) {
        }
    }
}

CommitResult PostgresqlStore::apply(const WriteSet& writes, bool& transaction_lost) {
    CommitResult result;
    std::string text;
    if (auto error = writer_.execute("SAVEPOINT write_set", text)) {
        transaction_lost = true;
        return failure(error, "cannot start a savepoint: " + text);
    }
    audit_.begin_write_set();
    result.messages.resize(writes.messages.size());
    for (std::size_t i = 0; i < writes.messages.size(); ++i) {
        if (auto error = insert(writes.messages[i], result.messages[i], text)) {
            result = failure(error, "message " + std::to_string(i + 1) + " of " +
                                        std::to_string(writes.messages.size()) + ": " + text);
            break;
        }
    }
    std::vector<std::string_view> repeated;
    if (!result.error) {
        for (std::size_t i = 0; i < writes.messages.size(); ++i)
            if (result.messages[i].duplicate) repeated.push_back(writes.messages[i].id);
        std::error_code error = outbox_.insert(writes.outbox, repeated, result.outbox_ids, text);
        if (!error) error = outbox_.update(writes.outbox_updates, result.outbox_updated, text);
        if (!error) error = insert_history(writes.history, text);
        if (!error) error = set_escalation_timers(writes, repeated, text);
        if (error) result = failure(error, text);
    }
    std::vector<audit::AuditEvent> purge_events;
    if (!result.error && !writes.purge_payloads_before.empty()) {
        if (auto error = purge(writes.purge_payloads_before, result, text)) {
            result = failure(error, text);
        } else if (result.purged_messages + result.purged_outbox_items > 0) {
            audit::AuditEvent purged;
            purged.action = audit::AuditAction::purged;
            purged.actor_role = "gateway";
            purged.outcome = std::string(audit::outcome::success);
            purged.detail = audit::Detail()
                                .add("received_before", writes.purge_payloads_before)
                                .add("messages", result.purged_messages)
                                .add("outbox_items", result.purged_outbox_items)
                                .text();
            purge_events.push_back(std::move(purged));
        }
    }
    if (!result.error) {
        std::error_code error;
        if (!purge_events.empty()) {
            std::vector<std::uint64_t> purge_seqs;
            error = audit_.append(purge_events, {}, purge_seqs, text);
        }
        if (!error) error = audit_.append(writes.audit, repeated, result.audit_seqs, text);
        if (!error && writes.sign_audit_checkpoint) error = audit_.sign_checkpoint(result.checkpoint, text);
        if (error) result = failure(error, text);
    }
    std::string ignored;
    if (result.error) {
        // Undo this write set alone; the others in the transaction stand.
        audit_.rollback_write_set();
        if (writer_.broken() || writer_.execute("ROLLBACK TO SAVEPOINT write_set", ignored) ||
            writer_.execute("RELEASE SAVEPOINT write_set", ignored))
            transaction_lost = true;
    } else if (auto error = writer_.execute("RELEASE SAVEPOINT write_set", text)) {
        transaction_lost = true;
        result = failure(error, "cannot release a savepoint: " + text);
    }
    return result;
}

std::error_code PostgresqlStore::insert(const StoredMessage& message, MessageResult& result, std::string& text) {
    Params params;
    params.text(message.id)
        .text(message.sender)
        .text(message.client)
        .text_or_null(message.idempotency_key)
        .text(message.received_at)
        .text(message.source_format)
        .text(message.content_type)
        .binary(message.payload)
        .text(message.canonical)
        .text(message.outcome)
        .text_or_null(message.nhs_number)
        .text_or_null(message.referral_id);
    std::error_code error;
    Result inserted = writer_.run("message_insert", params, error, text);
    if (error) return error;
    if (PQntuples(inserted.get()) == 1) {
        result = MessageResult{message.id, false, {}};
        return {};
    }
    // The sender's key was seen before, from this instance or another (the
    // chain head lock orders the transactions, so the original is committed
    // or earlier in this one): answer with what the original got.
    Params key;
    key.text(message.sender).text(message.idempotency_key);
    Result original = writer_.run("message_original", key, error, text);
    if (error) return error;
    if (PQntuples(original.get()) != 1) {
        text = "an idempotency key conflicted but its message cannot be found";
        return std::make_error_code(std::errc::bad_message);
    }
    result = MessageResult{text_at(original.get(), 0, 0), true, text_at(original.get(), 0, 1)};
    return {};
}

std::error_code PostgresqlStore::insert_history(const std::vector<HistoryEntry>& history, std::string& message) {
    for (const HistoryEntry& entry : history) {
        Params params;
        params.text(entry.message_id)
            .text(entry.organisation)
            .text(entry.service)
            .text(entry.status)
            .text(entry.reason)
            .text(entry.time.empty() ? audit::now_instant() : entry.time);
        std::error_code error;
        writer_.run("history_insert", params, error, message);
        if (error) {
            message = "cannot add to a referral's history: " + message;
            return error;
        }
    }
    return {};
}

std::error_code PostgresqlStore::set_escalation_timers(const WriteSet& writes,
                                                       const std::vector<std::string_view>& repeated,
                                                       std::string& message) {
    std::error_code error;
    for (const EscalationTimer& timer : writes.escalation_timers) {
        if (std::find(repeated.begin(), repeated.end(), timer.message_id) != repeated.end()) continue;
        Params params;
        params.text(timer.message_id).text(timer.due_at);
        // DO NOTHING: a timer once set keeps its first due time.
        writer_.run("escalation_set", params, error, message);
        if (error) {
            message = "cannot set an escalation timer: " + message;
            return error;
        }
    }
    for (const std::string& id : writes.escalation_timers_done) {
        Params params;
        params.text(id);
        writer_.run("escalation_done", params, error, message);
        if (error) {
            message = "cannot end an escalation timer: " + message;
            return error;
        }
    }
    // Row locks order two instances firing one timer: the second waits for
    // the first's commit, then finds the timer no longer pending.
    for (const std::string& id : writes.escalation_timers_fired) {
        Params params;
        params.text(id);
        Result fired = writer_.run("escalation_fire", params, error, message);
        if (error) {
            message = "cannot fire an escalation timer: " + message;
            return error;
        }
        if (PQntuples(fired.get()) != 1) {
            message = "an escalation timer has already fired or ended";
            return make_error_code(StoreErrc::escalation_not_pending);
        }
    }
    return {};
}

std::error_code PostgresqlStore::purge(const std::string& before, CommitResult& result, std::string& message) {
    Params params;
    params.text(before);
    std::error_code error;
    Result messages = writer_.query(
        "UPDATE messages SET payload = ''::bytea, canonical = '' "
        "WHERE received_at < $1 AND (length(payload) > 0 OR length(canonical) > 0)",
        params, error, message);
    if (error) {
        message = "the purge failed: " + message;
        return error;
    }
    Result outbox = writer_.query(
        "UPDATE outbox SET payload = ''::bytea WHERE created_at < $1 AND length(payload) > 0 "
        "AND state IN ('delivered', 'acknowledged', 'dead')",
        params, error, message);
    if (error) {
        message = "the purge failed: " + message;
        return error;
    }
    result.purged_messages = std::stoull(std::string("0") + PQcmdTuples(messages.get()));
    result.purged_outbox_items = std::stoull(std::string("0") + PQcmdTuples(outbox.get()));
    return {};
}

PostgresqlStore::ReaderLease PostgresqlStore::lease_reader() {
    std::unique_lock lock(readers_mutex_);
    reader_returned_.wait(lock, [this] { return !idle_readers_.empty(); });
    PgConnection* reader = idle_readers_.back();
    idle_readers_.pop_back();
    return ReaderLease(*this, *reader);
}

void PostgresqlStore::return_reader(PgConnection& reader) {
    {
        std::lock_guard lock(readers_mutex_);
        idle_readers_.push_back(&reader);
    }
    reader_returned_.notify_one();
}

std::optional<StoredMessage> PostgresqlStore::find_message(std::string_view id, std::error_code& error) {
    error.clear();
    try {
        ReaderLease reader = lease_reader();
        std::string text;
        if (!reader->ensure(error, text)) return std::nullopt;
        Params params;
        params.text(id);
        Result row = reader->run("find_message", params, error, text);
        if (error || PQntuples(row.get()) == 0) return std::nullopt;
        const PGresult* r = row.get();
        StoredMessage message;
        message.id = text_at(r, 0, 0);
        message.sender = text_at(r, 0, 1);
        message.client = text_at(r, 0, 2);
        message.idempotency_key = text_at(r, 0, 3);
        message.received_at = text_at(r, 0, 4);
        message.source_format = text_at(r, 0, 5);
        message.content_type = text_at(r, 0, 6);
        message.payload = bytes_at(r, 0, 7);
        message.canonical = text_at(r, 0, 8);
        message.outcome = text_at(r, 0, 9);
        message.nhs_number = text_at(r, 0, 10);
        message.referral_id = text_at(r, 0, 11);
        return message;
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return std::nullopt;
    }
}

std::vector<HistoryEntry> PostgresqlStore::referral_history(std::string_view message_id, std::error_code& error) {
    error.clear();
    try {
        ReaderLease reader = lease_reader();
        std::string text;
        if (!reader->ensure(error, text)) return {};
        Params params;
        params.text(message_id);
        Result rows = reader->query(
            "SELECT seq, message_id, organisation, service, status, reason, time FROM referral_history "
            "WHERE message_id = $1 ORDER BY seq",
            params, error, text);
        if (error) return {};
        std::vector<HistoryEntry> history;
        for (int row = 0; row < PQntuples(rows.get()); ++row) {
            HistoryEntry entry;
            entry.seq = static_cast<std::uint64_t>(int_at(rows.get(), row, 0));
            entry.message_id = text_at(rows.get(), row, 1);
            entry.organisation = text_at(rows.get(), row, 2);
            entry.service = text_at(rows.get(), row, 3);
            entry.status = text_at(rows.get(), row, 4);
            entry.reason = text_at(rows.get(), row, 5);
            entry.time = text_at(rows.get(), row, 6);
            history.push_back(std::move(entry));
        }
        return history;
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

std::vector<std::string> PostgresqlStore::message_recipients(std::string_view message_id, std::error_code& error) {
    error.clear();
    try {
        ReaderLease reader = lease_reader();
        std::string text;
        if (!reader->ensure(error, text)) return {};
        Params params;
        params.text(message_id);
        // Status notifications are outbox rows too; their receivers are told
        // of the referral, not sent it, so they are left out.
        Result rows = reader->query(
            "SELECT DISTINCT recipient FROM outbox WHERE message_id = $1 "
            "AND content_type NOT LIKE '%partnership-status%' ORDER BY recipient",
            params, error, text);
        if (error) return {};
        std::vector<std::string> recipients;
        for (int row = 0; row < PQntuples(rows.get()); ++row) recipients.push_back(text_at(rows.get(), row, 0));
        return recipients;
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

std::vector<EscalationTimer> PostgresqlStore::due_escalation_timers(std::string_view now, std::size_t limit,
                                                                   std::error_code& error) {
    error.clear();
    try {
        ReaderLease reader = lease_reader();
        std::string text;
        if (!reader->ensure(error, text)) return {};
        Params params;
        params.text(now).integer(static_cast<std::int64_t>(std::clamp<std::size_t>(limit, 1, 1000)));
        Result rows = reader->query(
            "SELECT message_id, due_at FROM escalation_timers WHERE state = 'pending' AND due_at <= $1 "
            "ORDER BY due_at LIMIT $2",
            params, error, text);
        if (error) return {};
        std::vector<EscalationTimer> timers;
        for (int row = 0; row < PQntuples(rows.get()); ++row)
            timers.push_back({text_at(rows.get(), row, 0), text_at(rows.get(), row, 1)});
        return timers;
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

bool PostgresqlStore::ready() {
    {
        std::lock_guard lock(queue_mutex_);
        if (closing_) return false;
    }
    if (last_commit_.load() == LastCommit::failed) return false;
    // A commit lost with the connection says nothing once the server is back:
    // the writer reconnects with its next batch.
    ReaderLease reader = lease_reader();
    std::error_code error;
    std::string text;
    if (!reader->ensure(error, text)) return false;
    reader->run("ping", {}, error, text);
    return !error;
}

void PostgresqlStore::close() {
    {
        std::lock_guard lock(queue_mutex_);
        closing_ = true;
    }
    queue_changed_.notify_all();
    if (std::this_thread::get_id() == writer_id_) return;
    std::lock_guard lock(close_mutex_);
    if (writer_thread_.joinable()) writer_thread_.join();
    // What this instance still holds (attempts a stopping worker cancelled)
    // goes back now, so the other instances need not wait out the leases.
    if (!claims_released_ && !readers_.empty()) {
        claims_released_ = true;
        ReaderLease reader = lease_reader();
        release_outbox_claims(*reader, options_.instance);
    }
}

}  // namespace

std::unique_ptr<Store> open_postgresql_store(const PostgresqlOptions& options, std::error_code& error,
                                             std::string& message) {
    return PostgresqlStore::open(options, error, message);
}

}  // namespace carebridge::gateway::store
