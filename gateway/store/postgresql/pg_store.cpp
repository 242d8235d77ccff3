// The shared store: PostgreSQL through libpq, for several gateway instances
// on one database. As in the SQLite store the shared writer
// (store/group_commit.hpp) groups queued write sets into a transaction each,
// every write set in its own savepoint, and a pool of connections serves
// reads. What several instances add: the audit chain head is locked first in
// every writing transaction (pg_transaction.hpp), idempotency keys are unique
// in the table, and delivery claims outbox rows with a lease (pg_outbox).

#include "store/read_guard.hpp"
#include "store/postgresql/postgresql_store.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <mutex>
#include <new>
#include <utility>

#include "audit/checkpoint.hpp"
#include "ids/uuid.hpp"
#include "store/audit_chain.hpp"
#include "store/group_commit_store.hpp"
#include "store/postgresql/pg_audit.hpp"
#include "store/postgresql/pg_connection.hpp"
#include "store/postgresql/pg_outbox.hpp"
#include "store/postgresql/pg_schema.hpp"
#include "store/postgresql/pg_transaction.hpp"
#include "store/reader_pool.hpp"
#include "store/store_error.hpp"

namespace carebridge::gateway::store {
namespace {

// Reconnects a reader whose server went away; false with `error` when it cannot.
// A triage item with what its message says of it; a query adds its WHERE.
constexpr std::string_view triage_select_sql = R"sql(
SELECT t.seq, t.message_id, t.kind, t.reason, t.state, t.organisation, t.service, t.return_reason,
       t.created_at, t.updated_at, m.sender, m.referral_id, m.received_at
FROM triage t JOIN messages m ON m.id = t.message_id
)sql";

TriageItem triage_item_of(const PGresult* r, int row) {
    TriageItem item;
    item.seq = static_cast<std::uint64_t>(int_at(r, row, 0));
    item.message_id = text_at(r, row, 1);
    item.kind = text_at(r, row, 2);
    item.reason = text_at(r, row, 3);
    item.state = parse_triage_state(text_at(r, row, 4)).value_or(TriageState::open);
    item.organisation = text_at(r, row, 5);
    item.service = text_at(r, row, 6);
    item.return_reason = text_at(r, row, 7);
    item.created_at = text_at(r, row, 8);
    item.updated_at = text_at(r, row, 9);
    item.sender = text_at(r, row, 10);
    item.referral_id = text_at(r, row, 11);
    item.received_at = text_at(r, row, 12);
    return item;
}

bool connected(PgConnection& reader, std::error_code& error) {
    std::string ignored;  // the error says enough for a read; the writer logs the server's words
    return reader.ensure(error, ignored);
}

// host:pid:random, so two instances on one host (or a restarted one) never
// share claims; nullopt when the CSPRNG gives nothing (the open then fails).
std::optional<std::string> default_instance() {
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
    auto suffix = ids::random_hex(4);
    if (!suffix) return std::nullopt;
    return std::string(host.data()) + ":" + std::to_string(::getpid()) + ":" + *suffix;
}

class PostgresqlStore final : public GroupCommitStore {
public:
    ~PostgresqlStore() override { close(); }
    static std::unique_ptr<Store> open(const PostgresqlOptions& options, std::error_code& error,
                                                 std::string& message) {
        return open_or_fail(error, message, [&]() -> std::unique_ptr<Store> {
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
            std::unique_ptr<PostgresqlStore> store(new PostgresqlStore(options));
            if (store->options_.instance.empty()) {
                auto instance = default_instance();
                if (!instance) {
                    error = std::make_error_code(std::errc::resource_unavailable_try_again);
                    message = "no random bytes to name this instance's outbox claims";
                    return nullptr;
                }
                store->options_.instance = std::move(*instance);
            }
            GroupCommitOptions writer_options{options.max_batch, options.max_queue, options.observer};
            if ((error = store->start(options.audit_signing_key, std::move(writer_options), message))) return nullptr;
            return store;
        });
    }

    std::optional<StoredMessage> find_message(std::string_view id, std::error_code& error) override {
        return read_or_fail<std::optional<StoredMessage>>(error, [&]() -> std::optional<StoredMessage> {
            auto reader = readers_.lease();
            if (!connected(*reader, error)) return std::nullopt;
            std::string text;
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
        });
    }
    std::vector<HistoryEntry> referral_history(std::string_view message_id, std::error_code& error) override {
        return read_or_fail<std::vector<HistoryEntry>>(error, [&]() -> std::vector<HistoryEntry> {
            auto reader = readers_.lease();
            if (!connected(*reader, error)) return {};
            std::string text;
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
        });
    }
    std::vector<std::string> message_recipients(std::string_view message_id, std::error_code& error) override {
        return read_or_fail<std::vector<std::string>>(error, [&]() -> std::vector<std::string> {
            auto reader = readers_.lease();
            if (!connected(*reader, error)) return {};
            std::string text;
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
        });
    }
    std::vector<TriageItem> find_triage_items(const TriageQuery& query, std::error_code& error) override {
        return read_or_fail<std::vector<TriageItem>>(error, [&]() -> std::vector<TriageItem> {
            auto reader = readers_.lease();
            if (!connected(*reader, error)) return {};
            std::string text;
            Params params;
            params.integer(static_cast<std::int64_t>(query.after_seq));
            params.text(query.state ? to_string(*query.state) : std::string_view());
            params.integer(static_cast<std::int64_t>(std::clamp<std::size_t>(query.limit, 1, 1000)));
            Result rows = reader->query(std::string(triage_select_sql) +
                                            "WHERE t.seq > $1 AND ($2::text = '' OR t.state = $2::text) "
                                            "ORDER BY t.seq LIMIT $3",
                                        params, error, text);
            if (error) return {};
            std::vector<TriageItem> items;
            for (int row = 0; row < PQntuples(rows.get()); ++row) items.push_back(triage_item_of(rows.get(), row));
            return items;
        });
    }
    std::optional<TriageItem> find_triage_item(std::string_view message_id, std::error_code& error) override {
        return read_or_fail<std::optional<TriageItem>>(error, [&]() -> std::optional<TriageItem> {
            auto reader = readers_.lease();
            if (!connected(*reader, error)) return std::nullopt;
            std::string text;
            Params params;
            params.text(message_id);
            Result rows = reader->query(std::string(triage_select_sql) + "WHERE t.message_id = $1", params, error, text);
            if (error || PQntuples(rows.get()) == 0) return std::nullopt;
            return triage_item_of(rows.get(), 0);
        });
    }
    std::vector<EscalationTimer> due_escalation_timers(std::string_view now, std::size_t limit,
                                                                       std::error_code& error) override {
        return read_or_fail<std::vector<EscalationTimer>>(error, [&]() -> std::vector<EscalationTimer> {
            auto reader = readers_.lease();
            if (!connected(*reader, error)) return {};
            std::string text;
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
        });
    }
    std::vector<audit::AuditEntry> find_audit_entries(const audit::AuditQuery& query, std::error_code& error) override {
        auto reader = readers_.lease();
        return store::find_audit_entries(*reader, query, error);
    }
    std::optional<audit::Checkpoint> latest_audit_checkpoint(std::error_code& error) override {
        auto reader = readers_.lease();
        return store::latest_audit_checkpoint(*reader, error);
    }
    std::optional<audit::Checkpoint> audit_checkpoint_at(std::uint64_t tree_size, std::error_code& error) override {
        auto reader = readers_.lease();
        return store::audit_checkpoint_at(*reader, tree_size, error);
    }
    std::vector<audit::Hash> audit_leaf_hashes(std::uint64_t first_seq, std::uint64_t last_seq,
                                               std::error_code& error) override {
        auto reader = readers_.lease();
        return store::audit_leaf_hashes(*reader, first_seq, last_seq, error);
    }
    // The current key, every key the database recorded (each instance records
    // its own at open; a rotation adds the next), and the earlier ones kept
    // beside this instance's signing key.
    audit::TrustedKeys audit_trusted_keys() override {
        audit::TrustedKeys keys(chain_->public_key());
        std::string unreadable;  // a key that cannot be read leaves its checkpoints unverified, and the verifier says so
        {
            auto reader = readers_.lease();
            add_recorded_signing_keys(*reader, keys, unreadable);
        }
        const auto directory = std::filesystem::path(options_.audit_signing_key).parent_path();
        keys.add_directory((directory / audit::public_keys_directory).string(), unreadable);
        return keys;
    }
    audit::LogVerification verify_audit_log() override {
        return verify_audit_postgresql(options_.url, audit_trusted_keys());
    }
    std::vector<OutboxItem> due_outbox_items(std::chrono::system_clock::time_point now, std::size_t limit,
                                             std::error_code& error) override {
        auto reader = readers_.lease();
        return claim_due_outbox_items(*reader, now, limit, options_.instance, options_.outbox_lease, error);
    }
    bool claims_outbox_items() const override { return true; }
    std::optional<std::chrono::system_clock::time_point> next_outbox_attempt(std::error_code& error) override {
        auto reader = readers_.lease();
        return store::next_outbox_attempt(*reader, error);
    }
    std::vector<OutboxItem> find_outbox_items(const OutboxQuery& query, std::error_code& error) override {
        auto reader = readers_.lease();
        return store::find_outbox_items(*reader, query, error);
    }
    std::uint64_t count_outbox_items(const OutboxQuery& query, std::error_code& error) override {
        auto reader = readers_.lease();
        return store::count_outbox_items(*reader, query, error);
    }
    std::optional<OutboxItem> find_outbox_item(std::string_view id, std::error_code& error) override {
        auto reader = readers_.lease();
        return store::find_outbox_item(*reader, id, error);
    }
    bool ready() override {
        // A commit lost with the connection says nothing once the server is back:
        // the writer reconnects with its next batch.
        if (!accepting()) return false;
        auto reader = readers_.lease();
        std::error_code error;
        std::string text;
        if (!reader->ensure(error, text)) return false;
        reader->run("ping", {}, error, text);
        return !error;
    }
    void close() override {
        if (!stop_writer()) return;
        // What this instance still holds (attempts a stopping worker cancelled)
        // goes back now, so the other instances need not wait out the leases.
        std::lock_guard lock(close_mutex_);
        if (!claims_released_ && !readers_.empty()) {
            claims_released_ = true;
            auto reader = readers_.lease();
            release_outbox_claims(*reader, options_.instance);
        }
    }

private:
    explicit PostgresqlStore(const PostgresqlOptions& options) : options_(options) {
        options_.read_connections = std::max<std::size_t>(options_.read_connections, 1);
    }

    std::error_code open_writer(std::shared_ptr<const audit::SigningKey> key, std::string& message) override {
        std::error_code error;
        auto connection = PgConnection::connect(options_.url, "carebridge writer", error, message);
        if (!connection) {
            message = "cannot connect to PostgreSQL: " + message;
            return error;
        }
        writer_db_ = std::move(*connection);
        if ((error = migrate_postgresql(writer_db_, message))) return error;
        if ((error = record_signing_key(writer_db_, key->public_key(), message))) return error;
        transaction_ = open_pg_transaction(writer_db_, error, message);
        if (!transaction_) return error;
        chain_ = std::make_unique<AuditChain>(std::move(key));
        return {};
    }
    std::error_code open_readers(std::string& message) override {
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
            readers_.add(std::move(reader));
        }
        return {};
    }

    PostgresqlOptions options_;

    // Destroyed in reverse order: the writer stops (in close()) before the
    // transaction and connection it uses.
    PgConnection writer_db_;
    ReaderPool<PgConnection> readers_;
    std::mutex close_mutex_;
    bool claims_released_ = false;  // guarded by close_mutex_
};

}  // namespace

std::unique_ptr<Store> open_postgresql_store(const PostgresqlOptions& options, std::error_code& error,
                                             std::string& message) {
    return PostgresqlStore::open(options, error, message);
}

}  // namespace carebridge::gateway::store
