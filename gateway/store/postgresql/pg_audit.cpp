#include "store/postgresql/pg_audit.hpp"

#include <algorithm>
#include <new>

#include "audit/detail.hpp"
#include "audit/entry_bytes.hpp"
#include "store/store_error.hpp"

namespace carebridge::gateway::store {
namespace {

constexpr const char* entry_columns =
    "seq, time, action, actor_organisation, actor_client, actor_role, patient, message_id, referral_id, recipient, "
    "purpose, lawful_basis, consent_reference, outcome, detail, previous_hash, hash";
constexpr const char* checkpoint_columns = "tree_size, root_hash, time, signature, key_id";

audit::Checkpoint checkpoint_from(const PGresult* rows, int row) {
    audit::Checkpoint checkpoint;
    checkpoint.tree_size = static_cast<std::uint64_t>(int_at(rows, row, 0));
    checkpoint.root_hash = audit::hash_from_hex(view_at(rows, row, 1)).value_or(audit::Hash{});
    checkpoint.time = text_at(rows, row, 2);
    checkpoint.signature = text_at(rows, row, 3);
    checkpoint.key_id = text_at(rows, row, 4);
    return checkpoint;
}

std::optional<audit::Checkpoint> one_checkpoint(PgConnection& db, const char* name, const Params& params,
                                                std::error_code& error) {
    error.clear();
    std::string message;
    if (!db.ensure(error, message)) return std::nullopt;
    Result rows = db.run(name, params, error, message);
    if (error || PQntuples(rows.get()) == 0) return std::nullopt;
    return checkpoint_from(rows.get(), 0);
}

}  // namespace

std::error_code record_signing_key(PgConnection& db, const audit::PublicKey& key, std::string& message) {
    std::error_code error;
    const std::string pem = key.pem();
    Params params;
    params.text(key.id()).text(pem);
    db.query("INSERT INTO audit_signing_keys (key_id, public_key, first_used) VALUES ($1, $2, carebridge_now()) "
             "ON CONFLICT (key_id) DO NOTHING",
             params, error, message);
    if (error) message = "cannot record the audit signing key: " + message;
    return error;
}

std::error_code add_recorded_signing_keys(PgConnection& db, audit::TrustedKeys& keys, std::string& message) {
    std::error_code error;
    if (!db.ensure(error, message)) return error;
    Result rows = db.query("SELECT public_key FROM audit_signing_keys ORDER BY first_used, key_id", {}, error, message);
    if (error) return error;
    for (int row = 0; row < PQntuples(rows.get()); ++row) {
        auto key = audit::PublicKey::from_pem(view_at(rows.get(), row, 0), message);
        if (!key) {
            message = "audit_signing_keys holds a row that is no public key: " + message;
            return std::make_error_code(std::errc::bad_message);
        }
        keys.add(std::move(*key));
    }
    return {};
}

// ---- the readers -------------------------------------------------------------

std::error_code prepare_audit_reads(PgConnection& db, std::string& message) {
    const std::string select = std::string("SELECT ") + checkpoint_columns + " FROM audit_checkpoints ";
    if (auto error = db.prepare("audit_latest_checkpoint", select + "ORDER BY tree_size DESC LIMIT 1", message))
        return error;
    if (auto error = db.prepare("audit_checkpoint_at", select + "WHERE tree_size = $1", message)) return error;
    return db.prepare("audit_leaf_hashes",
                      "SELECT leaf_hash FROM audit_entries WHERE seq BETWEEN $1 AND $2 ORDER BY seq", message);
}

std::vector<audit::AuditEntry> find_audit_entries(PgConnection& db, const audit::AuditQuery& query,
                                                  std::error_code& error) {
    error.clear();
    std::vector<audit::AuditEntry> entries;
    try {
        std::string sql = std::string("SELECT ") + entry_columns + " FROM audit_entries WHERE true";
        Params params;
        int index = 0;
        const auto placeholder = [&] { return "$" + std::to_string(++index); };
        const auto text_filter = [&](const char* clause, const std::string& value) {
            if (value.empty()) return;
            sql += clause + placeholder();
            params.text(value);
        };
        text_filter(" AND patient = ", query.patient);
        if (!query.organisation.empty()) {
            const std::string p = placeholder();
            sql += " AND (actor_organisation = " + p + " OR recipient = " + p + ")";
            params.text(query.organisation);
        }
        text_filter(" AND recipient = ", query.recipient);
        if (!query.actions.empty()) {
            sql += " AND action IN (";
            for (std::size_t i = 0; i < query.actions.size(); ++i) {
                sql += (i ? ", " : "") + placeholder();
                params.text(audit::to_string(query.actions[i]));
            }
            sql += ")";
        }
        text_filter(" AND outcome = ", query.outcome);
        text_filter(" AND time >= ", query.from);
        text_filter(" AND time < ", query.to);
        if (query.newest_first && query.before_seq > 0) {
            sql += " AND seq < " + placeholder();
            params.integer(static_cast<std::int64_t>(query.before_seq));
        } else if (!query.newest_first && query.after_seq > 0) {
            sql += " AND seq > " + placeholder();
            params.integer(static_cast<std::int64_t>(std::min<std::uint64_t>(query.after_seq, INT64_MAX)));
        }
        sql += query.newest_first ? " ORDER BY seq DESC LIMIT " : " ORDER BY seq LIMIT ";
        sql += placeholder();
        params.integer(static_cast<std::int64_t>(std::clamp<std::size_t>(query.limit, 1, audit::max_page)));

        std::string message;
        if (!db.ensure(error, message)) return entries;
        Result rows = db.query(sql, params, error, message);
        if (error) return entries;
        const int count = PQntuples(rows.get());
        entries.reserve(static_cast<std::size_t>(count));
        for (int row = 0; row < count; ++row) {
            const PGresult* r = rows.get();
            audit::AuditEntry entry;
            entry.seq = static_cast<std::uint64_t>(int_at(r, row, 0));
            audit::AuditEvent& e = entry.event;
            e.time = text_at(r, row, 1);
            const auto action = audit::parse_action(view_at(r, row, 2));
            if (!action) {  // never written by the gateway: the row was edited
                error = std::make_error_code(std::errc::bad_message);
                entries.clear();
                return entries;
            }
            e.action = *action;
            e.actor_organisation = text_at(r, row, 3);
            e.actor_client = text_at(r, row, 4);
            e.actor_role = text_at(r, row, 5);
            e.patient = text_at(r, row, 6);
            e.message_id = text_at(r, row, 7);
            e.referral_id = text_at(r, row, 8);
            e.recipient = text_at(r, row, 9);
            e.purpose = text_at(r, row, 10);
            e.lawful_basis = text_at(r, row, 11);
            e.consent_reference = text_at(r, row, 12);
            e.outcome = text_at(r, row, 13);
            e.detail = text_at(r, row, 14);
            entry.previous_hash = text_at(r, row, 15);
            entry.hash = text_at(r, row, 16);
            entries.push_back(std::move(entry));
        }
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        entries.clear();
    }
    return entries;
}

std::optional<audit::Checkpoint> latest_audit_checkpoint(PgConnection& db, std::error_code& error) {
    return one_checkpoint(db, "audit_latest_checkpoint", {}, error);
}

std::optional<audit::Checkpoint> audit_checkpoint_at(PgConnection& db, std::uint64_t tree_size,
                                                     std::error_code& error) {
    Params params;
    params.integer(static_cast<std::int64_t>(std::min<std::uint64_t>(tree_size, INT64_MAX)));
    return one_checkpoint(db, "audit_checkpoint_at", params, error);
}

std::vector<audit::Hash> audit_leaf_hashes(PgConnection& db, std::uint64_t first_seq, std::uint64_t last_seq,
                                           std::error_code& error) {
    error.clear();
    std::vector<audit::Hash> leaves;
    if (first_seq == 0 || last_seq < first_seq) return leaves;
    try {
        std::string message;
        if (!db.ensure(error, message)) return leaves;
        Params params;
        params.integer(static_cast<std::int64_t>(std::min<std::uint64_t>(first_seq, INT64_MAX)))
            .integer(static_cast<std::int64_t>(std::min<std::uint64_t>(last_seq, INT64_MAX)));
        Result rows = db.run("audit_leaf_hashes", params, error, message);
        if (error) return leaves;
        const int count = PQntuples(rows.get());
        leaves.reserve(static_cast<std::size_t>(count));
        for (int row = 0; row < count; ++row) {
            const auto leaf = audit::hash_from_bytes(bytes_at(rows.get(), row, 0));
            if (!leaf) {
                error = std::make_error_code(std::errc::bad_message);
                leaves.clear();
                return leaves;
            }
            leaves.push_back(*leaf);
        }
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        leaves.clear();
    }
    return leaves;
}

// ---- audit verify ------------------------------------------------------------

namespace {

constexpr int fetch_rows = 5000;

// Rows through a server-side cursor, a few thousand at a time; the views
// handed out point into the current batch, kept until the next call.
class PgEntrySource final : public audit::EntrySource {
public:
    explicit PgEntrySource(PgConnection& db) : db_(db) {}

    bool next(audit::StoredEntry& entry) override {
        if (done_) return false;
        if (!batch_ || row_ >= PQntuples(batch_.get())) {
            std::error_code error;
            std::string message;
            batch_ = db_.query("FETCH " + std::to_string(fetch_rows) + " FROM audit_rows", {}, error, message);
            row_ = 0;
            if (error) {
                error_ = message;
                done_ = true;
                return false;
            }
            if (PQntuples(batch_.get()) == 0) {
                done_ = true;
                return false;
            }
        }
        const PGresult* r = batch_.get();
        const int row = row_++;
        entry.seq = static_cast<std::uint64_t>(int_at(r, row, 0));
        audit::EntryText& t = entry.text;
        t.time = view_at(r, row, 1);
        t.action = view_at(r, row, 2);
        t.actor_organisation = view_at(r, row, 3);
        t.actor_client = view_at(r, row, 4);
        t.actor_role = view_at(r, row, 5);
        t.patient = view_at(r, row, 6);
        t.message_id = view_at(r, row, 7);
        t.referral_id = view_at(r, row, 8);
        t.recipient = view_at(r, row, 9);
        t.purpose = view_at(r, row, 10);
        t.lawful_basis = view_at(r, row, 11);
        t.consent_reference = view_at(r, row, 12);
        t.outcome = view_at(r, row, 13);
        t.detail = view_at(r, row, 14);
        t.previous_hash = view_at(r, row, 15);
        entry.hash = view_at(r, row, 16);
        leaf_ = bytes_at(r, row, 17);
        entry.leaf_hash = leaf_;
        return true;
    }

    std::string error() const override { return error_; }

    std::optional<std::uint64_t> seq_of_hash(std::string_view hash) override {
        std::error_code error;
        std::string message;
        Params params;
        params.text(hash);
        Result row =
            db_.query("SELECT seq FROM audit_entries WHERE hash = $1 ORDER BY seq LIMIT 1", params, error, message);
        if (error || PQntuples(row.get()) == 0) return std::nullopt;
        return static_cast<std::uint64_t>(int_at(row.get(), 0, 0));
    }

private:
    PgConnection& db_;
    Result batch_;
    int row_ = 0;
    bool done_ = false;
    std::string error_;
    std::string leaf_;
};

}  // namespace

audit::LogVerification verify_audit_postgresql(const std::string& url, const audit::TrustedKeys& keys,
                                               const AuditVerifyProgress& progress) {
    try {
        std::error_code error;
        std::string message;
        auto db = PgConnection::connect(url, "carebridge audit verify", error, message);
        if (!db) return audit::unreadable_log("cannot connect to PostgreSQL: " + message);
        // One snapshot for entries, checkpoints and look-ups alike.
        if ((error = db->execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", message)))
            return audit::unreadable_log("cannot read the audit log: " + message);
        Result version = db->query("SELECT coalesce(max(version), 0) FROM schema_version", {}, error, message);
        if (error) return audit::unreadable_log("the database is not a carebridge store: " + message);

        std::vector<audit::Checkpoint> checkpoints;
        Result rows = db->query(std::string("SELECT ") + checkpoint_columns + " FROM audit_checkpoints ORDER BY tree_size",
                                {}, error, message);
        if (error) return audit::unreadable_log("cannot read the checkpoints: " + message);
        for (int row = 0; row < PQntuples(rows.get()); ++row) checkpoints.push_back(checkpoint_from(rows.get(), row));
        Result last = db->query("SELECT coalesce(max(seq), 0) FROM audit_entries", {}, error, message);
        if (error) return audit::unreadable_log("cannot read the audit log: " + message);
        const auto total = static_cast<std::uint64_t>(int_at(last.get(), 0, 0));
        if ((error = db->execute((std::string("DECLARE audit_rows NO SCROLL CURSOR FOR SELECT ") + entry_columns +
                                  ", leaf_hash FROM audit_entries ORDER BY seq")
                                     .c_str(),
                                 message)))
            return audit::unreadable_log("cannot read the audit log: " + message);

        PgEntrySource source(*db);
        audit::VerifyProgress report;
        if (progress) report = [&](std::uint64_t checked) { progress(checked, total); };
        auto result = audit::verify_log(source, std::move(checkpoints), keys, report);
        std::string ignored;
        db->execute("ROLLBACK", ignored);
        return result;
    } catch (const std::bad_alloc&) {
        return audit::unreadable_log("out of memory reading the audit log");
    }
}

}  // namespace carebridge::gateway::store
