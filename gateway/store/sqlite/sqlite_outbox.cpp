#include "store/sqlite/sqlite_outbox.hpp"

#include <algorithm>
#include <new>

#include "store/read_guard.hpp"
#include "store/outbox_rows.hpp"
#include "store/sqlite/sqlite_error.hpp"

namespace carebridge::gateway::store {
namespace {

using SystemClock = std::chrono::system_clock;

constexpr std::string_view item_source = " FROM outbox o LEFT JOIN messages m ON m.id = o.message_id";

// Each recipient's oldest pending push: the only one of its items that may be sent.
constexpr std::string_view heads_sql =
    "SELECT min(seq) AS head FROM outbox WHERE state = 'pending' AND endpoint_url IS NOT NULL GROUP BY recipient";

std::string item_select(bool with_payload) {
    std::string sql = "SELECT ";
    sql += outbox_columns_before_payload;
    sql += with_payload ? "o.payload" : "''";
    sql += outbox_columns_after_payload;
    sql += item_source;
    return sql;
}

OutboxItem item_from(Statement& row) {
    OutboxItem item;
    item.seq = static_cast<std::uint64_t>(row.column_int64(0));
    item.id = row.column_text(1);
    item.message_id = row.column_text(2);
    item.recipient = row.column_text(3);
    item.recipient_ods = row.column_text(4);
    item.service = row.column_text(5);
    item.format = row.column_text(6);
    item.payload = row.column_blob(7);
    item.content_type = row.column_text(8);
    item.idempotency_key = row.column_text(9);
    item.endpoint_url = row.column_text(10);
    item.created_at = row.column_text(11);
    // The CHECK constraint admits only the four names.
    item.state = parse_outbox_state(row.column_text(12)).value_or(OutboxState::dead);
    item.attempts = static_cast<unsigned>(std::max<std::int64_t>(0, row.column_int64(13)));
    item.next_attempt_at = time_of(row.column_int64(14));
    item.last_error = row.column_text(15);
    item.patient = row.column_text(16);
    item.referral_id = row.column_text(17);
    return item;
}

// Runs a prepared query to its end, collecting items.
std::vector<OutboxItem> collect(sqlite3* db, Statement& statement, std::error_code& error) {
    std::vector<OutboxItem> items;
    for (;;) {
        const int rc = statement.step();
        if (rc == SQLITE_ROW) {
            items.push_back(item_from(statement));
            continue;
        }
        if (rc != SQLITE_DONE) {
            error = sqlite_error(sqlite3_extended_errcode(db));
            items.clear();
        }
        return items;
    }
}

// The WHERE clause of a query: ?1 the cursor, ?2 the recipient, ?3 the state,
// each present only when the query sets it.
std::string query_filter(const OutboxQuery& query, bool with_cursor) {
    std::string where = " WHERE 1";
    if (with_cursor) where += " AND o.seq > ?1";
    if (!query.recipient.empty()) where += " AND o.recipient = ?2";
    if (query.state) where += " AND o.state = ?3";
    return where;
}

void bind_filter(Statement& statement, const OutboxQuery& query, bool with_cursor) {
    if (with_cursor) statement.bind_int64(1, static_cast<std::int64_t>(std::min<std::uint64_t>(query.after_seq, INT64_MAX)));
    if (!query.recipient.empty()) statement.bind_text(2, query.recipient);
    if (query.state) statement.bind_text(3, to_string(*query.state));
}

}  // namespace

// ---- the readers -----------------------------------------------------------

std::vector<OutboxItem> due_outbox_items(sqlite3* db, SystemClock::time_point now, std::size_t limit,
                                         std::error_code& error) {
    return read_or_fail<std::vector<OutboxItem>>(error, [&]() -> std::vector<OutboxItem> {
        std::string sql = item_select(true);
        sql += " JOIN (";
        sql += heads_sql;
        sql += ") h ON o.seq = h.head WHERE o.next_attempt_at <= ?1 ORDER BY o.next_attempt_at, o.seq LIMIT ?2";
        std::string message;
        Statement statement = Statement::prepare(db, sql, error, message);
        if (error) return {};
        StatementUse use(statement);
        use->bind_int64(1, millis_of(now));
        use->bind_int64(2, static_cast<std::int64_t>(std::clamp<std::size_t>(limit, 1, max_outbox_page)));
        return collect(db, statement, error);
    });
}

std::optional<SystemClock::time_point> next_outbox_attempt(sqlite3* db, std::error_code& error) {
    return read_or_fail<std::optional<SystemClock::time_point>>(error, [&]() -> std::optional<SystemClock::time_point> {
        std::string sql = "SELECT min(o.next_attempt_at) FROM outbox o JOIN (";
        sql += heads_sql;
        sql += ") h ON o.seq = h.head";
        std::string message;
        Statement statement = Statement::prepare(db, sql, error, message);
        if (error) return std::nullopt;
        StatementUse use(statement);
        if (use->step() != SQLITE_ROW) {
            error = sqlite_error(sqlite3_extended_errcode(db));
            return std::nullopt;
        }
        if (use->column_text(0).empty()) return std::nullopt;  // min() of nothing is NULL
        return time_of(use->column_int64(0));
    });
}

std::vector<OutboxItem> find_outbox_items(sqlite3* db, const OutboxQuery& query, std::error_code& error) {
    return read_or_fail<std::vector<OutboxItem>>(error, [&]() -> std::vector<OutboxItem> {
        std::string sql = item_select(query.with_payload);
        sql += query_filter(query, true);
        sql += " ORDER BY o.seq LIMIT ?4";
        std::string message;
        Statement statement = Statement::prepare(db, sql, error, message);
        if (error) return {};
        StatementUse use(statement);
        bind_filter(statement, query, true);
        use->bind_int64(4, static_cast<std::int64_t>(std::clamp<std::size_t>(query.limit, 1, max_outbox_page)));
        return collect(db, statement, error);
    });
}

std::uint64_t count_outbox_items(sqlite3* db, const OutboxQuery& query, std::error_code& error) {
    return read_or_fail<std::uint64_t>(error, [&]() -> std::uint64_t {
        std::string sql = "SELECT count(*) FROM outbox o";
        sql += query_filter(query, false);
        std::string message;
        Statement statement = Statement::prepare(db, sql, error, message);
        if (error) return 0;
        StatementUse use(statement);
        bind_filter(statement, query, false);
        if (use->step() != SQLITE_ROW) {
            error = sqlite_error(sqlite3_extended_errcode(db));
            return 0;
        }
        return static_cast<std::uint64_t>(use->column_int64(0));
    });
}

std::optional<OutboxItem> find_outbox_item(sqlite3* db, std::string_view id, std::error_code& error) {
    return read_or_fail<std::optional<OutboxItem>>(error, [&]() -> std::optional<OutboxItem> {
        std::string sql = item_select(true);
        sql += " WHERE o.id = ?1";
        std::string message;
        Statement statement = Statement::prepare(db, sql, error, message);
        if (error) return std::nullopt;
        StatementUse use(statement);
        use->bind_text(1, id);
        auto items = collect(db, statement, error);
        if (items.empty()) return std::nullopt;
        return std::move(items.front());
    });
}

}  // namespace carebridge::gateway::store
