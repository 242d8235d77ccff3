#include "pg_outbox.hpp"

#include <algorithm>
#include <new>

namespace carebridge::gateway::store {
namespace {

using SystemClock = std::chrono::system_clock;

constexpr std::size_t max_outbox_page = 1000;

// The columns item_from() reads, in its order; the payload is column 7.
constexpr std::string_view item_columns_before_payload =
    "o.seq, o.id, o.message_id, o.recipient, o.recipient_ods, o.service, o.format, ";
constexpr std::string_view item_columns_after_payload =
    ", o.content_type, o.idempotency_key, o.endpoint_url, o.created_at, o.state, o.attempts, o.next_attempt_at, "
    "o.last_error, m.nhs_number, m.referral_id";

// Each recipient's oldest pending push: the only one of its items that may be sent.
constexpr std::string_view heads_sql =
    "SELECT min(seq) FROM outbox WHERE state = 'pending' AND endpoint_url IS NOT NULL GROUP BY recipient";

std::string item_columns(bool with_payload) {
    std::string sql(item_columns_before_payload);
    sql += with_payload ? "o.payload" : "''::bytea";
    sql += item_columns_after_payload;
    return sql;
}

std::string item_select(bool with_payload) {
    return "SELECT " + item_columns(with_payload) + " FROM outbox o LEFT JOIN messages m ON m.id = o.message_id";
}

std::int64_t millis_of(SystemClock::time_point time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

SystemClock::time_point time_of(std::int64_t millis) {
    return SystemClock::time_point(std::chrono::duration_cast<SystemClock::duration>(std::chrono::milliseconds(millis)));
}

bool is_format(std::string_view format) { return format == "fhir" || format == "referral" || format == "carenotes"; }

std::vector<OutboxItem> items_from(const PGresult* rows) {
    std::vector<OutboxItem> items;
    const int count = PQntuples(rows);
    items.reserve(static_cast<std::size_t>(count));
    for (int row = 0; row < count; ++row) {
        OutboxItem item;
        item.seq = static_cast<std::uint64_t>(int_at(rows, row, 0));
        item.id = text_at(rows, row, 1);
        item.message_id = text_at(rows, row, 2);
        item.recipient = text_at(rows, row, 3);
        item.recipient_ods = text_at(rows, row, 4);
        item.service = text_at(rows, row, 5);
        item.format = text_at(rows, row, 6);
        item.payload = bytes_at(rows, row, 7);
        item.content_type = text_at(rows, row, 8);
        item.idempotency_key = text_at(rows, row, 9);
        item.endpoint_url = text_at(rows, row, 10);
        item.created_at = text_at(rows, row, 11);
        item.state = parse_outbox_state(view_at(rows, row, 12)).value_or(OutboxState::dead);
        item.attempts = static_cast<unsigned>(std::max<std::int64_t>(0, int_at(rows, row, 13)));
        item.next_attempt_at = time_of(int_at(rows, row, 14));
        item.last_error = text_at(rows, row, 15);
        item.patient = text_at(rows, row, 16);
        item.referral_id = text_at(rows, row, 17);
        items.push_back(std::move(item));
    }
    return items;
}

// The WHERE clause of a query and its parameters, only the filters it sets.
std::string query_filter(const OutboxQuery& query, bool with_cursor, Params& params, int& index) {
    std::string where = " WHERE true";
    if (with_cursor) {
        where += " AND o.seq > $" + std::to_string(++index);
        params.integer(static_cast<std::int64_t>(std::min<std::uint64_t>(query.after_seq, INT64_MAX)));
    }
    if (!query.recipient.empty()) {
        where += " AND o.recipient = $" + std::to_string(++index);
        params.text(query.recipient);
    }
    if (query.state) {
        where += " AND o.state = $" + std::to_string(++index);
        params.text(to_string(*query.state));
    }
    return where;
}

}  // namespace

// ---- the writer ------------------------------------------------------------

std::error_code PgOutboxWriter::prepare(PgConnection& db, std::string& message) {
    db_ = &db;
    // A new item's id is a random UUID (gen_random_uuid): it is in partners'
    // URLs and says nothing about how many items the gateway holds.
    if (auto error = db.prepare(
            "outbox_insert",
            "INSERT INTO outbox (id, message_id, recipient, recipient_ods, service, format, payload, content_type, "
            "idempotency_key, endpoint_url, created_at, state, attempts, next_attempt_at, last_error, updated_at) "
            "VALUES (coalesce($1, gen_random_uuid()::text), $2, $3, $4, $5, $6, $7, $8, $9, $10, "
            "coalesce($11, carebridge_now()), $12, $13, $14, $15, carebridge_now()) RETURNING id",
            message))
        return error;
    // $6 lists the states the item may be in, comma-led and -trailed
    // (",pending,dead,"); empty: any. NULL in $3..$5 leaves the column as it is.
    return db.prepare("outbox_update",
                      "UPDATE outbox SET state = $2, attempts = coalesce($3::bigint, attempts), "
                      "next_attempt_at = coalesce($4::bigint, next_attempt_at), "
                      "last_error = CASE WHEN $5::text IS NULL THEN last_error ELSE nullif($5::text, '') END, "
                      "updated_at = carebridge_now(), claimed_by = NULL, lease_until = NULL "
                      "WHERE id = $1 AND ($6::text = '' OR position(',' || state || ',' in $6::text) > 0)",
                      message);
}

std::error_code PgOutboxWriter::insert(const std::vector<OutboxItem>& items,
                                       const std::vector<std::string_view>& repeated_messages,
                                       std::vector<std::string>& ids, std::string& message) {
    ids.assign(items.size(), std::string());
    for (std::size_t i = 0; i < items.size(); ++i) {
        const OutboxItem& item = items[i];
        if (std::find(repeated_messages.begin(), repeated_messages.end(), item.message_id) !=
            repeated_messages.end())
            continue;
        const std::string which = "outbox item " + std::to_string(i + 1) + " of " + std::to_string(items.size());
        if (item.message_id.empty() || item.recipient.empty()) {
            message = which + ": names no message or no recipient";
            return std::make_error_code(std::errc::invalid_argument);
        }
        if (!is_format(item.format)) {
            message = which + ": format '" + item.format + "' is not fhir, referral or carenotes";
            return std::make_error_code(std::errc::invalid_argument);
        }
        // The key a receiver deduplicates on must not change between attempts.
        std::string key = item.idempotency_key;
        if (key.empty()) {
            key = item.message_id + ":" + item.recipient;
            if (!item.service.empty()) (key += ':') += item.service;
        }
        Params params;
        params.text_or_null(item.id)
            .text(item.message_id)
            .text(item.recipient)
            .text(item.recipient_ods)
            .text(item.service)
            .text(item.format)
            .binary(item.payload)
            .text(item.content_type)
            .text(key)
            .text_or_null(item.endpoint_url)
            .text_or_null(item.created_at)
            .text(to_string(item.state))
            .integer(item.attempts)
            .integer(millis_of(item.next_attempt_at))
            .text_or_null(item.last_error);
        std::error_code error;
        Result row = db_->run("outbox_insert", params, error, message);
        if (error) {
            message = which + ": " + message;  // e.g. a message_id that is not stored
            return error;
        }
        ids[i] = text_at(row.get(), 0, 0);
    }
    return {};
}

std::error_code PgOutboxWriter::update(const std::vector<OutboxUpdate>& updates, std::vector<bool>& applied,
                                       std::string& message) {
    applied.assign(updates.size(), false);
    for (std::size_t i = 0; i < updates.size(); ++i) {
        const OutboxUpdate& update = updates[i];
        std::string only_from;
        if (!update.only_from.empty()) {
            only_from = ",";
            for (OutboxState state : update.only_from) (only_from += to_string(state)) += ',';
        }
        Params params;
        params.text(update.id).text(to_string(update.state));
        if (update.attempts)
            params.integer(*update.attempts);
        else
            params.null();
        if (update.next_attempt_at)
            params.integer(millis_of(*update.next_attempt_at));
        else
            params.null();
        if (update.last_error)
            params.text(*update.last_error);
        else
            params.null();
        params.text(only_from);
        std::error_code error;
        Result result = db_->run("outbox_update", params, error, message);
        if (error) {
            message = "outbox update " + std::to_string(i + 1) + " of " + std::to_string(updates.size()) + ": " +
                      message;
            return error;
        }
        applied[i] = std::string_view(PQcmdTuples(result.get())) == "1";
    }
    return {};
}

// ---- the readers -----------------------------------------------------------

std::vector<OutboxItem> claim_due_outbox_items(PgConnection& db, SystemClock::time_point now, std::size_t limit,
                                               const std::string& instance, std::chrono::seconds lease,
                                               std::error_code& error) {
    error.clear();
    try {
        // The lease is on the server's clock, which every instance shares;
        // "due" is on the worker's, as next_attempt_at was written by one.
        std::string sql = "WITH claimed AS (UPDATE outbox SET claimed_by = $3, "
                          "lease_until = clock_timestamp() + make_interval(secs => $4::double precision) "
                          "WHERE seq IN (SELECT o.seq FROM outbox o WHERE o.seq IN (";
        sql += heads_sql;
        sql += ") AND o.state = 'pending' AND o.endpoint_url IS NOT NULL AND o.next_attempt_at <= $1 "
               "AND (o.claimed_by IS NULL OR o.lease_until < clock_timestamp()) "
               "ORDER BY o.next_attempt_at, o.seq LIMIT $2 FOR UPDATE OF o SKIP LOCKED) RETURNING *) "
               "SELECT ";
        sql += item_columns(true);
        sql += " FROM claimed o LEFT JOIN messages m ON m.id = o.message_id ORDER BY o.next_attempt_at, o.seq";
        Params params;
        params.integer(millis_of(now))
            .integer(static_cast<std::int64_t>(std::clamp<std::size_t>(limit, 1, max_outbox_page)))
            .text(instance)
            .integer(std::max<std::int64_t>(1, lease.count()));
        std::string message;
        if (!db.ensure(error, message)) return {};
        Result rows = db.query(sql, params, error, message);
        if (error) return {};
        return items_from(rows.get());
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

void release_outbox_claims(PgConnection& db, const std::string& instance) {
    std::error_code error;
    std::string message;
    if (!db.ensure(error, message)) return;
    Params params;
    params.text(instance);
    db.query("UPDATE outbox SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = $1", params, error, message);
}

std::optional<SystemClock::time_point> next_outbox_attempt(PgConnection& db, std::error_code& error) {
    error.clear();
    try {
        // A head another instance holds is not ours to try before its lease ends.
        std::string sql =
            "SELECT min(greatest(o.next_attempt_at, CASE WHEN o.claimed_by IS NOT NULL AND o.lease_until > "
            "clock_timestamp() THEN (extract(epoch FROM o.lease_until) * 1000)::bigint ELSE 0 END)) "
            "FROM outbox o WHERE o.seq IN (";
        sql += heads_sql;
        sql += ")";
        std::string message;
        if (!db.ensure(error, message)) return std::nullopt;
        Result row = db.query(sql, {}, error, message);
        if (error || PQgetisnull(row.get(), 0, 0)) return std::nullopt;
        return time_of(int_at(row.get(), 0, 0));
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return std::nullopt;
    }
}

std::vector<OutboxItem> find_outbox_items(PgConnection& db, const OutboxQuery& query, std::error_code& error) {
    error.clear();
    try {
        Params params;
        int index = 0;
        std::string sql = item_select(query.with_payload);
        sql += query_filter(query, true, params, index);
        sql += " ORDER BY o.seq LIMIT $" + std::to_string(++index);
        params.integer(static_cast<std::int64_t>(std::clamp<std::size_t>(query.limit, 1, max_outbox_page)));
        std::string message;
        if (!db.ensure(error, message)) return {};
        Result rows = db.query(sql, params, error, message);
        if (error) return {};
        return items_from(rows.get());
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

std::uint64_t count_outbox_items(PgConnection& db, const OutboxQuery& query, std::error_code& error) {
    error.clear();
    try {
        Params params;
        int index = 0;
        std::string sql = "SELECT count(*) FROM outbox o";
        sql += query_filter(query, false, params, index);
        std::string message;
        if (!db.ensure(error, message)) return 0;
        Result row = db.query(sql, params, error, message);
        if (error) return 0;
        return static_cast<std::uint64_t>(int_at(row.get(), 0, 0));
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return 0;
    }
}

std::optional<OutboxItem> find_outbox_item(PgConnection& db, std::string_view id, std::error_code& error) {
    error.clear();
    try {
        Params params;
        params.text(id);
        std::string message;
        if (!db.ensure(error, message)) return std::nullopt;
        Result rows = db.query(item_select(true) + " WHERE o.id = $1", params, error, message);
        if (error) return std::nullopt;
        auto items = items_from(rows.get());
        if (items.empty()) return std::nullopt;
        return std::move(items.front());
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return std::nullopt;
    }
}

}  // namespace carebridge::gateway::store
