#include "store/postgresql/pg_outbox.hpp"

#include <algorithm>
#include <new>

#include "store/read_guard.hpp"
#include "store/outbox_rows.hpp"

namespace carebridge::gateway::store {
namespace {

using SystemClock = std::chrono::system_clock;

// Each recipient's oldest pending push: the only one of its items that may be sent.
constexpr std::string_view heads_sql =
    "SELECT min(seq) FROM outbox WHERE state = 'pending' AND endpoint_url IS NOT NULL GROUP BY recipient";

std::string item_columns(bool with_payload) {
    std::string sql(outbox_columns_before_payload);
    sql += with_payload ? "o.payload" : "''::bytea";
    sql += outbox_columns_after_payload;
    return sql;
}

std::string item_select(bool with_payload) {
    return "SELECT " + item_columns(with_payload) + " FROM outbox o LEFT JOIN messages m ON m.id = o.message_id";
}

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

// ---- the readers -----------------------------------------------------------

std::vector<OutboxItem> claim_due_outbox_items(PgConnection& db, SystemClock::time_point now, std::size_t limit,
                                               const std::string& instance, std::chrono::seconds lease,
                                               std::error_code& error) {
    return read_or_fail<std::vector<OutboxItem>>(error, [&]() -> std::vector<OutboxItem> {
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
    });
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
    return read_or_fail<std::optional<SystemClock::time_point>>(error, [&]() -> std::optional<SystemClock::time_point> {
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
    });
}

std::vector<OutboxItem> find_outbox_items(PgConnection& db, const OutboxQuery& query, std::error_code& error) {
    return read_or_fail<std::vector<OutboxItem>>(error, [&]() -> std::vector<OutboxItem> {
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
    });
}

std::uint64_t count_outbox_items(PgConnection& db, const OutboxQuery& query, std::error_code& error) {
    return read_or_fail<std::uint64_t>(error, [&]() -> std::uint64_t {
        Params params;
        int index = 0;
        std::string sql = "SELECT count(*) FROM outbox o";
        sql += query_filter(query, false, params, index);
        std::string message;
        if (!db.ensure(error, message)) return 0;
        Result row = db.query(sql, params, error, message);
        if (error) return 0;
        return static_cast<std::uint64_t>(int_at(row.get(), 0, 0));
    });
}

std::optional<OutboxItem> find_outbox_item(PgConnection& db, std::string_view id, std::error_code& error) {
    return read_or_fail<std::optional<OutboxItem>>(error, [&]() -> std::optional<OutboxItem> {
        Params params;
        params.text(id);
        std::string message;
        if (!db.ensure(error, message)) return std::nullopt;
        Result rows = db.query(item_select(true) + " WHERE o.id = $1", params, error, message);
        if (error) return std::nullopt;
        auto items = items_from(rows.get());
        if (items.empty()) return std::nullopt;
        return std::move(items.front());
    });
}

}  // namespace carebridge::gateway::store
