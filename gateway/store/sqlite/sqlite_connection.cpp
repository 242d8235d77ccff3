#include "store/sqlite/sqlite_connection.hpp"

#include <utility>

#include "store/sqlite/sqlite_error.hpp"

namespace carebridge::gateway::store {

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        sqlite3_close_v2(db_);
        db_ = std::exchange(other.db_, nullptr);
    }
    return *this;
}

// close_v2 defers the close until any statement still open is finalized, so
// the order members are destroyed in cannot leak the connection.
Connection::~Connection() { sqlite3_close_v2(db_); }

Connection open_connection(const std::string& path, int flags, std::error_code& error, std::string& message) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    Connection connection(raw);  // owns the handle even when the open failed
    if (rc != SQLITE_OK) {
        error = sqlite_error(raw ? sqlite3_extended_errcode(raw) : rc);
        message = "cannot open " + path + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
        return {};
    }
    sqlite3_extended_result_codes(raw, 1);
    // A referral's row (payload and record) is some 40 KB: in 16 KB pages it
    // is three WAL frames, not eleven, so each commit makes a third of the
    // write calls. SQLite applies it only to a database not yet created.
    if ((flags & SQLITE_OPEN_CREATE) != 0) sqlite3_exec(raw, "PRAGMA page_size=16384", nullptr, nullptr, nullptr);
    return connection;
}

std::error_code execute(sqlite3* db, const char* sql, std::string& message) {
    char* text = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &text);
    if (rc == SQLITE_OK) return {};
    message = text ? text : sqlite3_errstr(rc);
    sqlite3_free(text);
    return sqlite_error(sqlite3_extended_errcode(db));
}

std::string query_text(sqlite3* db, const char* sql, std::error_code& error, std::string& message) {
    Statement statement = Statement::prepare(db, sql, error, message);
    if (error) return {};
    StatementUse use(statement);
    const int rc = use->step();
    if (rc == SQLITE_ROW) return use->column_text(0);
    if (rc != SQLITE_DONE) {
        error = sqlite_error(sqlite3_extended_errcode(db));
        message = sqlite3_errmsg(db);
    }
    return {};
}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        stmt_ = std::exchange(other.stmt_, nullptr);
        bind_error_ = std::exchange(other.bind_error_, SQLITE_OK);
    }
    return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement Statement::prepare(sqlite3* db, std::string_view sql, std::error_code& error, std::string& message) {
    Statement statement;
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &statement.stmt_, nullptr);
    if (rc != SQLITE_OK) {
        error = sqlite_error(sqlite3_extended_errcode(db));
        message = sqlite3_errmsg(db);
        return {};
    }
    return statement;
}

void Statement::bind_text(int index, std::string_view text) {
    // data() of an empty view may be null, which SQLite would store as NULL.
    keep_bind_error(
        sqlite3_bind_text64(stmt_, index, text.empty() ? "" : text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
}

void Statement::bind_text_or_null(int index, std::string_view text) {
    if (text.empty()) {
        keep_bind_error(sqlite3_bind_null(stmt_, index));
    } else {
        bind_text(index, text);
    }
}

void Statement::bind_blob(int index, std::string_view bytes) {
    keep_bind_error(sqlite3_bind_blob64(stmt_, index, bytes.empty() ? "" : bytes.data(), bytes.size(), SQLITE_STATIC));
}

void Statement::bind_int64(int index, std::int64_t value) { keep_bind_error(sqlite3_bind_int64(stmt_, index, value)); }

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    bind_error_ = SQLITE_OK;
}

std::string Statement::column_text(int index) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
    return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))) : std::string();
}

std::string Statement::column_blob(int index) const {
    const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_, index));
    return bytes ? std::string(bytes, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))) : std::string();
}

}  // namespace carebridge::gateway::store
