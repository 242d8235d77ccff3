#include "sqlite_outbox.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <new>

#include "store_error.hpp"

namespace carebridge::gateway::store {
namespace {

using SystemClock = std::chrono::system_clock;

constexpr std::size_t max_outbox_page = 1000;

constexpr std::string_view insert_sql = R"sql(
INSERT INTO outbox (id, message_id, recipient, recipient_ods, service, format, payload, content_type,
                    idempotency_key, endpoint_url, created_at, state, attempts, next_attempt_at, last_error,
                    updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, coalesce(?11, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), ?12, ?13,
        ?14, ?15, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)sql";

// ?6 lists the states the item may be in, comma-led and -trailed
// (",pending,dead,"); empty: any. NULL in ?3..?5 leaves the column as it is.
constexpr std::string_view update_sql = R"sql(
UPDATE outbox SET state = ?2,
                  attempts = coalesce(?3, attempts),
                  next_attempt_at = coalesce(?4, next_attempt_at),
                  last_error = CASE WHEN ?5 IS NULL THEN last_error ELSE nullif(?5, '') END,
                  updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
WHERE id = ?1 AND (?6 = '' OR instr(?6, ',' || state || ',') > 0)
)sql";

// The columns item_from() reads, in its order; the payload is column 7.
constexpr std::string_view item_columns_before_payload =
    "o.seq, o.id, o.message_id, o.recipient, o.recipient_ods, o.service, o.format, ";
constexpr std::string_view item_columns_after_payload =
    ", o.content_type, o.idempotency_key, o.endpoint_url, o.created_at, o.state, o.attempts, o.next_attempt_at, "
    "o.last_error, m.nhs_number, m.referral_id";
constexpr std::string_view item_source = " FROM outbox o LEFT JOIN messages m ON m.id = o.message_id";

// Each recipient's oldest pending push: the only one of its items that may be sent.
constexpr std::string_view heads_sql =
    "SELECT min(seq) AS head FROM outbox WHERE state = 'pending' AND endpoint_url IS NOT NULL GROUP BY recipient";

std::string item_select(bool with_payload) {
    std::string sql = "SELECT ";
    sql += item_columns_before_payload;
    sql += with_payload ? "o.payload" : "''";
    sql += item_columns_after_payload;
    sql += item_source;
    return sql;
}

std::int64_t millis_of(SystemClock::time_point time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

SystemClock::time_point time_of(std::int64_t millis) {
    return SystemClock::time_point(std::chrono::duration_cast<SystemClock::duration>(std::chrono::milliseconds(millis)));
}

// A random (version 4) UUID: an item's id is in partners' URLs and says
// nothing about how many items the gateway holds.
std::string new_item_id() {
    std::array<unsigned char, 16> b{};
    RAND_bytes(b.data(), static_cast<int>(b.size()));
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    char text[37];
    std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                  b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return text;
}

bool is_format(std::string_view format) { return format == "fhir" || format == "referral" || format == "carenotes"; }

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

std::string_view to_string(OutboxState state) {
    switch (state) {
        case OutboxState::pending: return "pending";
        case OutboxState::delivered: return "delivered";
        case OutboxState::dead: return "dead";
        case OutboxState::acknowledged: return "acknowledged";
    }
    return "pending";
}

std::optional<OutboxState> parse_outbox_state(std::string_view name) {
    for (OutboxState state :
         {OutboxState::pending, OutboxState::delivered, OutboxState::dead, OutboxState::acknowledged})
        if (to_string(state) == name) return state;
    return std::nullopt;
}

// ---- the writer ------------------------------------------------------------

std::error_code OutboxWriter::prepare(sqlite3* db, std::string& message) {
    db_ = db;
    std::error_code error;
    insert_ = Statement::prepare(db, insert_sql, error, message);
    if (!error) update_ = Statement::prepare(db, update_sql, error, message);
    return error;
}

std::error_code OutboxWriter::insert(const std::vector<OutboxItem>& items,
                                     const std::vector<std::string_view>& repeated_messages,
                                     std::vector<std::string>& ids, std::string& message) {
    ids.assign(items.size(), std::string());
    std::string id;
    std::string key;
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
        id = item.id.empty() ? new_item_id() : item.id;
        // The key a receiver deduplicates on must not change between attempts.
        key = item.idempotency_key;
        if (key.empty()) {
            key = item.message_id + ":" + item.recipient;
            if (!item.service.empty()) (key += ':') += item.service;
        }

        StatementUse use(insert_);
        use->bind_text(1, id);
        use->bind_text(2, item.message_id);
        use->bind_text(3, item.recipient);
        use->bind_text(4, item.recipient_ods);
        use->bind_text(5, item.service);
        use->bind_text(6, item.format);
        use->bind_blob(7, item.payload);
        use->bind_text(8, item.content_type);
        use->bind_text(9, key);
        use->bind_text_or_null(10, item.endpoint_url);
        use->bind_text_or_null(11, item.created_at);
        use->bind_text(12, to_string(item.state));
        use->bind_int64(13, item.attempts);
        use->bind_int64(14, millis_of(item.next_attempt_at));
        use->bind_text_or_null(15, item.last_error);
        if (use->step() != SQLITE_DONE) {
            message = which + ": " + sqlite3_errmsg(db_);  // e.g. a message_id that is not stored
            return sqlite_error(sqlite3_extended_errcode(db_));
        }
        ids[i] = id;
    }
    return {};
}

std::error_code OutboxWriter::update(const std::vector<OutboxUpdate>& updates, std::vector<bool>& applied,
                                     std::string& message) {
    applied.assign(updates.size(), false);
    std::string only_from;
    for (std::size_t i = 0; i < updates.size(); ++i) {
        const OutboxUpdate& update = updates[i];
        only_from.clear();
        if (!update.only_from.empty()) {
            only_from = ",";
            for (OutboxState state : update.only_from) (only_from += to_string(state)) += ',';
        }
        StatementUse use(update_);
        use->bind_text(1, update.id);
        use->bind_text(2, to_string(update.state));
        if (update.attempts)
            use->bind_int64(3, *update.attempts);
        else
            use->bind_text_or_null(3, {});
        if (update.next_attempt_at)
            use->bind_int64(4, millis_of(*update.next_attempt_at));
        else
            use->bind_text_or_null(4, {});
        if (update.last_error)
            use->bind_text(5, *update.last_error);
        else
            use->bind_text_or_null(5, {});
        use->bind_text(6, only_from);
        if (use->step() != SQLITE_DONE) {
            message = "outbox update " + std::to_string(i + 1) + " of " + std::to_string(updates.size()) + ": " +
                      sqlite3_errmsg(db_);
            return sqlite_error(sqlite3_extended_errcode(db_));
        }
        applied[i] = sqlite3_changes(db_) == 1;
    }
    return {};
}

// ---- the readers -----------------------------------------------------------

std::vector<OutboxItem> due_outbox_items(sqlite3* db, SystemClock::time_point now, std::size_t limit,
                                         std::error_code& error) {
    error.clear();
    try {
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
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

std::optional<SystemClock::time_point> next_outbox_attempt(sqlite3* db, std::error_code& error) {
    error.clear();
    try {
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
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return std::nullopt;
    }
}

std::vector<OutboxItem> find_outbox_items(sqlite3* db, const OutboxQuery& query, std::error_code& error) {
    error.clear();
    try {
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
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

std::uint64_t count_outbox_items(sqlite3* db, const OutboxQuery& query, std::error_code& error) {
    error.clear();
    try {
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
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return 0;
    }
}

std::optional<OutboxItem> find_outbox_item(sqlite3* db, std::string_view id, std::error_code& error) {
    error.clear();
    try {
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
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return std::nullopt;
    }
}

}  // namespace carebridge::gateway::store
