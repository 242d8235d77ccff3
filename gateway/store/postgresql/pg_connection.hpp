#pragma once
// Owning handles for libpq's C objects and the few calls every PostgreSQL
// store query needs: a connection that reconnects after the server went
// away and prepares its statements again (they live in the server session),
// and results that cannot leak on an early return.
//
// Credentials never come from carebridge's config: the URL names host,
// database and user, and libpq reads the password from PGPASSWORD, the
// PGPASSFILE (~/.pgpass by default) or a service file, as it always does.

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace carebridge::gateway::store {

// PostgreSQL's errors keep their SQLSTATE in the "postgresql" category; a lost
// connection compares equal to std::errc::io_error and a serialization or
// lock failure to device_or_resource_busy, so the server answers 503.
const std::error_category& postgresql_category();
// The error of a failed result (by its SQLSTATE), or of a broken connection.
std::error_code postgresql_error(const PGresult* result, const PGconn* conn);
// A SQLSTATE's five characters as the category's code.
int sqlstate_code(std::string_view sqlstate);
inline constexpr std::string_view unique_violation = "23505";

struct ResultDeleter {
    void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// A parameter list: text values, each absent (SQL NULL) or present; binary
// ones (bytea) are sent as raw bytes. The views must outlive the call.
class Params {
public:
    Params& text(std::string_view value);
    Params& text_or_null(std::string_view value);  // empty means absent
    Params& null();
    Params& binary(std::string_view bytes);
    Params& integer(std::int64_t value);

    int size() const { return static_cast<int>(values_.size()); }
    const char* const* values() const { return values_.data(); }
    const int* lengths() const { return lengths_.data(); }
    const int* formats() const { return formats_.data(); }

private:
    std::vector<const char*> values_;
    std::vector<int> lengths_;
    std::vector<int> formats_;
    std::vector<std::unique_ptr<std::string>> owned_;  // numbers and copies of views with no NUL after them
};

// One connection. Not thread-safe: one thread uses it at a time.
class PgConnection {
public:
    PgConnection() = default;
    PgConnection(PgConnection&&) noexcept = default;
    PgConnection& operator=(PgConnection&&) noexcept = default;

    // Connects to `url` (a postgresql:// URL or key=value conninfo);
    // `application` names the connection in pg_stat_activity.
    static std::optional<PgConnection> connect(const std::string& url, std::string_view application,
                                               std::error_code& error, std::string& message);

    // Registers a statement to prepare now and again after every reconnect.
    std::error_code prepare(std::string name, std::string sql, std::string& message);

    // Reconnects (and prepares again) when the server closed the connection
    // since the last call; false with `message` when it still cannot.
    bool ensure(std::error_code& error, std::string& message);
    bool broken() const { return !conn_ || PQstatus(conn_.get()) != CONNECTION_OK; }

    // A registered statement; `ok` is PGRES_COMMAND_OK or PGRES_TUPLES_OK.
    Result run(const std::string& name, const Params& params, std::error_code& error, std::string& message);
    // Ad hoc SQL with parameters (rare queries, built ones).
    Result query(const std::string& sql, const Params& params, std::error_code& error, std::string& message);
    // SQL without parameters or rows (transaction control, schema).
    std::error_code execute(const char* sql, std::string& message);

    PGconn* get() const { return conn_.get(); }
    bool in_transaction() const { return conn_ && PQtransactionStatus(conn_.get()) != PQTRANS_IDLE; }

private:
    struct ConnDeleter {
        void operator()(PGconn* conn) const { PQfinish(conn); }
    };
    Result check(Result result, std::error_code& error, std::string& message);
    std::error_code prepare_all(std::string& message);

    std::unique_ptr<PGconn, ConnDeleter> conn_;
    std::vector<std::pair<std::string, std::string>> statements_;  // name, SQL
    bool prepared_ = false;  // statements_ are prepared in the current session
};

// Column readers: NULL reads as empty / 0.
std::string text_at(const PGresult* result, int row, int column);
std::string_view view_at(const PGresult* result, int row, int column);
std::int64_t int_at(const PGresult* result, int row, int column);
// A bytea column asked for in binary (its raw bytes).
std::string bytes_at(const PGresult* result, int row, int column);

}  // namespace carebridge::gateway::store
