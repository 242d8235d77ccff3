#pragma once
// Owning handles for SQLite's C objects, so a connection or statement cannot
// leak on an early return, and the few calls every store query needs.

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace carebridge::gateway::store {

class Connection {
public:
    Connection() = default;
    explicit Connection(sqlite3* db) : db_(db) {}
    Connection(Connection&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
    Connection& operator=(Connection&& other) noexcept;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    sqlite3* get() const { return db_; }
    explicit operator bool() const { return db_ != nullptr; }

private:
    sqlite3* db_ = nullptr;
};

// Opens `path` with `flags` (SQLITE_OPEN_*), extended result codes on.
// On failure `error` is set and `message` says why in one line.
Connection open_connection(const std::string& path, int flags, std::error_code& error, std::string& message);

// Runs SQL that returns no rows (pragmas, schema, transaction control).
std::error_code execute(sqlite3* db, const char* sql, std::string& message);

// Reads a one-value pragma or query, e.g. "PRAGMA journal_mode=WAL" → "wal".
std::string query_text(sqlite3* db, const char* sql, std::error_code& error, std::string& message);

class Statement {
public:
    Statement() = default;
    Statement(Statement&& other) noexcept
        : stmt_(std::exchange(other.stmt_, nullptr)), bind_error_(std::exchange(other.bind_error_, SQLITE_OK)) {}
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    // Prepared once and kept for the connection's life.
    static Statement prepare(sqlite3* db, std::string_view sql, std::error_code& error, std::string& message);

    // Binds without copying: the bytes must live until reset(). A failed bind
    // (a value past SQLite's size limit) is returned by the next step().
    void bind_text(int index, std::string_view text);
    void bind_text_or_null(int index, std::string_view text);  // empty means absent
    void bind_blob(int index, std::string_view bytes);
    void bind_int64(int index, std::int64_t value);

    int step() {
        return bind_error_ != SQLITE_OK ? bind_error_ : sqlite3_step(stmt_);
    }  // SQLITE_ROW, _DONE or an error
    // Ends the statement's read of the database and drops the bindings; an
    // unreset statement holds its snapshot open and keeps the WAL from shrinking.
    void reset();

    std::string column_text(int index) const;  // NULL reads as empty
    std::string column_blob(int index) const;
    std::int64_t column_int64(int index) const { return sqlite3_column_int64(stmt_, index); }

private:
    void keep_bind_error(int rc) {
        if (bind_error_ == SQLITE_OK) bind_error_ = rc;
    }

    sqlite3_stmt* stmt_ = nullptr;
    int bind_error_ = SQLITE_OK;
};

// Resets a statement however the scope is left.
class StatementUse {
public:
    explicit StatementUse(Statement& statement) : statement_(statement) {}
    ~StatementUse() { statement_.reset(); }
    StatementUse(const StatementUse&) = delete;
    StatementUse& operator=(const StatementUse&) = delete;
    Statement* operator->() { return &statement_; }

private:
    Statement& statement_;
};

}  // namespace carebridge::gateway::store
