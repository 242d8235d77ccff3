#include "store/postgresql/pg_connection.hpp"

#include <charconv>
#include <cstring>

namespace carebridge::gateway::store {
namespace {

// Class 08 (connection exception) and the codes libpq reports with no result.
constexpr int lost_connection = 1;

class PostgresqlCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "postgresql"; }
    std::string message(int value) const override {
        if (value == lost_connection) return "the connection to PostgreSQL was lost";
        std::string state(5, '0');
        for (int i = 4; i >= 0; --i) {
            const int digit = value % 36;
            state[static_cast<std::size_t>(i)] = static_cast<char>(digit < 10 ? '0' + digit : 'A' + digit - 10);
            value /= 36;
        }
        return "PostgreSQL error " + state;
    }
    std::error_condition default_error_condition(int value) const noexcept override {
        if (value == lost_connection) return std::errc::io_error;
        const int klass = value / (36 * 36 * 36);  // the SQLSTATE's first two characters
        if (klass == sqlstate_code("08000") / (36 * 36 * 36)) return std::errc::io_error;
        if (klass == sqlstate_code("53000") / (36 * 36 * 36)) return std::errc::no_space_on_device;  // resources
        if (klass == sqlstate_code("57000") / (36 * 36 * 36)) return std::errc::io_error;  // admin shutdown
        if (klass == sqlstate_code("40000") / (36 * 36 * 36)) return std::errc::device_or_resource_busy;
        if (klass == sqlstate_code("55000") / (36 * 36 * 36)) return std::errc::device_or_resource_busy;
        return {value, *this};
    }
};

}  // namespace

const std::error_category& postgresql_category() {
    static const PostgresqlCategory category;
    return category;
}

int sqlstate_code(std::string_view sqlstate) {
    int code = 0;
    for (std::size_t i = 0; i < 5; ++i) {
        const char c = i < sqlstate.size() ? sqlstate[i] : '0';
        const int digit = (c >= '0' && c <= '9') ? c - '0' : (c >= 'A' && c <= 'Z') ? c - 'A' + 10 : 0;
        code = code * 36 + digit;
    }
    return code;
}

std::error_code postgresql_error(const PGresult* result, const PGconn* conn) {
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    if (state && std::strlen(state) == 5 && std::string_view(state) != "00000")
        return {sqlstate_code(state), postgresql_category()};
    (void)conn;
    return {lost_connection, postgresql_category()};
}

// ---- parameters ----------------------------------------------------------------

Params& Params::text(std::string_view value) {
    // libpq reads a text parameter up to its NUL, so each is copied with one.
    owned_.push_back(std::make_unique<std::string>(value));
    values_.push_back(owned_.back()->c_str());
    lengths_.push_back(0);
    formats_.push_back(0);
    return *this;
}

Params& Params::text_or_null(std::string_view value) { return value.empty() ? null() : text(value); }

Params& Params::null() {
    values_.push_back(nullptr);
    lengths_.push_back(0);
    formats_.push_back(0);
    return *this;
}

Params& Params::binary(std::string_view bytes) {
    // An empty bytea still needs a non-null pointer, or it reads as NULL.
    values_.push_back(bytes.empty() ? "" : bytes.data());
    lengths_.push_back(static_cast<int>(bytes.size()));
    formats_.push_back(1);
    return *this;
}

Params& Params::integer(std::int64_t value) { return text(std::to_string(value)); }

// ---- the connection ----------------------------------------------------------------

std::optional<PgConnection> PgConnection::connect(const std::string& url, std::string_view application,
                                                  std::error_code& error, std::string& message) {
    const std::string name(application);
    // Defaults first: the URL's own settings, expanded from "dbname", win.
    // A short connect timeout keeps /readyz and a reconnect from hanging while
    // the server is down; keepalives find a connection whose server vanished.
    const char* keys[] = {"connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count",
                          "application_name", "dbname", nullptr};
    const char* values[] = {"3", "10", "5", "3", name.c_str(), url.c_str(), nullptr};
    PgConnection connection;
    connection.conn_.reset(PQconnectdbParams(keys, values, 1));
    if (!connection.conn_) {
        error = std::make_error_code(std::errc::not_enough_memory);
        message = "out of memory connecting to PostgreSQL";
        return std::nullopt;
    }
    if (PQstatus(connection.conn_.get()) != CONNECTION_OK) {
        error = postgresql_error(nullptr, connection.conn_.get());
        message = PQerrorMessage(connection.conn_.get());
        while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
        return std::nullopt;
    }
    // The server's notices ("already exists, skipping") are not the operator's business.
    PQsetNoticeProcessor(connection.conn_.get(), [](void*, const char*) {}, nullptr);
    // Instants are written as text in UTC; the session's zone must not shift them.
    if ((error = connection.execute("SET TIME ZONE 'UTC'", message))) return std::nullopt;
    error.clear();
    return connection;
}

std::error_code PgConnection::prepare(std::string name, std::string sql, std::string& message) {
    statements_.emplace_back(std::move(name), std::move(sql));
    const auto& [n, s] = statements_.back();
    Result result(PQprepare(conn_.get(), n.c_str(), s.c_str(), 0, nullptr));
    if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
        message = "cannot prepare " + n + ": " + PQerrorMessage(conn_.get());
        return postgresql_error(result.get(), conn_.get());
    }
    prepared_ = true;
    return {};
}

std::error_code PgConnection::prepare_all(std::string& message) {
    for (const auto& [name, sql] : statements_) {
        Result result(PQprepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr));
        if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
            message = "cannot prepare " + name + ": " + PQerrorMessage(conn_.get());
            return postgresql_error(result.get(), conn_.get());
        }
    }
    prepared_ = true;
    return {};
}

bool PgConnection::ensure(std::error_code& error, std::string& message) {
    error.clear();
    if (!conn_) {
        error = postgresql_error(nullptr, nullptr);
        message = "not connected to PostgreSQL";
        return false;
    }
    if (PQstatus(conn_.get()) == CONNECTION_OK) return true;
    PQreset(conn_.get());
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
        error = postgresql_error(nullptr, conn_.get());
        message = PQerrorMessage(conn_.get());
        while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
        return false;
    }
    prepared_ = false;
    if ((error = execute("SET TIME ZONE 'UTC'", message))) return false;
    if ((error = prepare_all(message))) return false;
    return true;
}

Result PgConnection::check(Result result, std::error_code& error, std::string& message) {
    error.clear();
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    error = postgresql_error(result.get(), conn_.get());
    message = result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_.get());
    if (message.empty()) message = PQerrorMessage(conn_.get());
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    return nullptr;
}

Result PgConnection::run(const std::string& name, const Params& params, std::error_code& error,
                         std::string& message) {
    return check(Result(PQexecPrepared(conn_.get(), name.c_str(), params.size(), params.values(), params.lengths(),
                                       params.formats(), 0)),
                 error, message);
}

Result PgConnection::query(const std::string& sql, const Params& params, std::error_code& error,
                           std::string& message) {
    return check(Result(PQexecParams(conn_.get(), sql.c_str(), params.size(), nullptr, params.values(),
                                     params.lengths(), params.formats(), 0)),
                 error, message);
}

std::error_code PgConnection::execute(const char* sql, std::string& message) {
    std::error_code error;
    check(Result(PQexec(conn_.get(), sql)), error, message);
    return error;
}

// ---- columns ----------------------------------------------------------------

std::string text_at(const PGresult* result, int row, int column) { return std::string(view_at(result, row, column)); }

std::string_view view_at(const PGresult* result, int row, int column) {
    if (PQgetisnull(result, row, column)) return {};
    return {PQgetvalue(result, row, column), static_cast<std::size_t>(PQgetlength(result, row, column))};
}

std::int64_t int_at(const PGresult* result, int row, int column) {
    const std::string_view text = view_at(result, row, column);
    std::int64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

std::string bytes_at(const PGresult* result, int row, int column) {
    if (PQgetisnull(result, row, column)) return {};
    std::size_t size = 0;
    unsigned char* raw =
        PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result, row, column)), &size);
    if (!raw) throw std::bad_alloc();
    std::string bytes(reinterpret_cast<const char*>(raw), size);
    PQfreemem(raw);
    return bytes;
}

}  // namespace carebridge::gateway::store
