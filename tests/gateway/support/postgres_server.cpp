#include "support/postgres_server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace carebridge::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The newest PostgreSQL whose server binaries Debian installed.
fs::path find_bin() {
    fs::path best;
    int best_version = -1;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", error)) {
        const fs::path bin = entry.path() / "bin";
        if (!fs::exists(bin / "initdb", error) || !fs::exists(bin / "postgres", error)) continue;
        const int version = std::atoi(entry.path().filename().c_str());
        if (version > best_version) {
            best_version = version;
            best = bin;
        }
    }
    return best;
}

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    std::uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    ::close(fd);
    return port;
}

using RunAs = PostgresServer::RunAs;

RunAs run_as(std::string& error) {
    RunAs who;
    if (::geteuid() != 0) return who;
    const passwd* nobody = ::getpwnam("nobody");
    if (!nobody) {
        error = "running as root and there is no user 'nobody' to run PostgreSQL as";
        return who;
    }
    who.switch_user = true;
    who.uid = nobody->pw_uid;
    who.gid = nobody->pw_gid;
    return who;
}

// fork + exec with output appended to `log`; the child dies with us when
// `death_signal` is set. Everything the child needs is made before fork().
pid_t spawn(const std::vector<std::string>& args, const fs::path& directory, const fs::path& log, const RunAs& who,
            int death_signal) {
    std::vector<char*> argv;
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    const std::string dir = directory.string();
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return -1;
    if (who.switch_user && ::fchown(log_fd, who.uid, who.gid) != 0) {
        ::close(log_fd);
        return -1;
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int null_fd = ::open("/dev/null", O_RDONLY);
        if (null_fd >= 0) ::dup2(null_fd, 0);
        ::dup2(log_fd, 1);
        ::dup2(log_fd, 2);
        if (::chdir(dir.c_str()) != 0) ::_exit(126);
        if (who.switch_user) {
            if (::setgroups(0, nullptr) != 0 || ::setgid(who.gid) != 0 || ::setuid(who.uid) != 0) ::_exit(126);
        }
        // After setuid, which clears it; and the parent may already be gone.
        if (death_signal != 0) {
            ::prctl(PR_SET_PDEATHSIG, death_signal);
            if (::getppid() != parent) ::_exit(1);
        }
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(log_fd);
    return pid;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

// initdb takes seconds and every test process needs a cluster, so the first
// one made is kept as a template (per PostgreSQL version and user, under a
// lock so parallel tests make it once) and each server starts on a copy.
bool PostgresServer::copy_template(const RunAs& who, std::string& error) {
    const fs::path cache =
        fs::temp_directory_path() /
        ("carebridge-pg-template-" + bin_.parent_path().filename().string() + "-" + std::to_string(::geteuid()));
    std::error_code fs_error;
    fs::create_directories(cache, fs_error);
    const int lock = ::open((cache.string() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0 || ::flock(lock, LOCK_EX) != 0) {
        if (lock >= 0) ::close(lock);
        error = "cannot lock the PostgreSQL template " + cache.string();
        return false;
    }
    struct Unlock {
        int fd;
        ~Unlock() { ::close(fd); }  // closing releases the lock
    } unlock{lock};

    if (!fs::exists(cache / "ready", fs_error)) {
        fs::remove_all(cache / "data", fs_error);
        if (who.switch_user && ::chown(cache.c_str(), who.uid, who.gid) != 0) {
            error = "cannot hand " + cache.string() + " to the user nobody";
            return false;
        }
        const pid_t initdb =
            spawn({(bin_ / "initdb").string(), "-D", (cache / "data").string(), "-U", "carebridge", "--auth=trust",
                   "--no-locale", "-E", "UTF8", "--no-sync", "--no-instructions"},
                  cache, directory_ / "postgres.log", who, SIGKILL);
        int status = 0;
        if (initdb < 0 || ::waitpid(initdb, &status, 0) != initdb || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            error = "initdb failed:\n" + log();
            return false;
        }
        std::ofstream(cache / "ready") << "initdb done\n";
    }
    const fs::path data = directory_ / "data";
    fs::copy(cache / "data", data, fs::copy_options::recursive, fs_error);
    if (fs_error) {
        error = "cannot copy the PostgreSQL template: " + fs_error.message();
        return false;
    }
    // The server refuses a data directory that others may read, or that is not its user's.
    fs::permissions(data, fs::perms::owner_all, fs::perm_options::replace, fs_error);
    if (who.switch_user) {
        if (::lchown(data.c_str(), who.uid, who.gid) != 0) fs_error = std::error_code(errno, std::generic_category());
        for (auto it = fs::recursive_directory_iterator(data, fs_error); !fs_error && it != fs::end(it);
             it.increment(fs_error))
            if (::lchown(it->path().c_str(), who.uid, who.gid) != 0)
                fs_error = std::error_code(errno, std::generic_category());
        if (fs_error) {
            error = "cannot hand the PostgreSQL data directory to the user nobody: " + fs_error.message();
            return false;
        }
    }
    return true;
}

PostgresServer::~PostgresServer() {
    stop();
    if (!directory_.empty()) {
        std::error_code ignored;
        fs::remove_all(directory_, ignored);
    }
}

std::string PostgresServer::log() const { return directory_.empty() ? "" : read_file(directory_ / "postgres.log"); }

bool PostgresServer::create(std::string& error) {
    bin_ = find_bin();
    if (bin_.empty()) {
        error = "no PostgreSQL server under /usr/lib/postgresql/*/bin (deploy/install-deps.sh installs it)";
        return false;
    }
    const RunAs who = run_as(error);
    if (!error.empty()) return false;
    std::string pattern = (fs::temp_directory_path() / "carebridge-pg-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) {
        error = "cannot make a temporary directory for PostgreSQL";
        return false;
    }
    directory_ = pattern;
    if (who.switch_user && ::chown(directory_.c_str(), who.uid, who.gid) != 0) {
        error = "cannot hand " + directory_.string() + " to the user nobody";
        return false;
    }
    if (!copy_template(who, error)) return false;
    for (int attempt = 0; attempt < 3; ++attempt) {
        port_ = free_port();
        if (start(error)) return true;
    }
    return false;
}

bool PostgresServer::start(std::string& error) {
    if (running()) return true;
    std::string ignored;
    const RunAs who = run_as(ignored);
    // fsync off: the tests kill gateways and restart the server cleanly, never
    // the machine, so what a commit wrote reaches the OS and is kept.
    pid_ = spawn({(bin_ / "postgres").string(), "-D", (directory_ / "data").string(), "-p", std::to_string(port_),
                  "-k", directory_.string(), "-h", "127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200",
                  "-c", "shared_buffers=32MB"},
                 directory_, directory_ / "postgres.log", who, SIGQUIT);
    if (pid_ < 0) {
        error = "cannot start postgres";
        return false;
    }
    const std::string ping = "host=127.0.0.1 port=" + std::to_string(port_) +
                             " dbname=postgres user=carebridge connect_timeout=2";
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            error = "postgres exited at start:\n" + log();
            return false;
        }
        if (PQping(ping.c_str()) == PQPING_OK) return true;
        std::this_thread::sleep_for(100ms);
    }
    stop();
    error = "postgres did not accept connections within 60 s:\n" + log();
    return false;
}

void PostgresServer::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGINT);  // fast shutdown
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(50ms);
    }
    pid_ = -1;
}

std::string PostgresServer::url(const std::string& database) const {
    return "postgresql://carebridge@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::fresh_database(std::string& error) {
    const std::string name = "carebridge_test_" + std::to_string(++databases_);
    postgres_query(url("postgres"), "CREATE DATABASE " + name, error);
    return error.empty() ? url(name) : std::string();
}

PostgresServer* shared_postgres(std::string& error) {
    static std::unique_ptr<PostgresServer> server;
    static std::string failure;
    if (!server && failure.empty()) {
        auto fresh = std::make_unique<PostgresServer>();
        if (fresh->create(failure))
            server = std::move(fresh);
        else if (failure.empty())
            failure = "PostgreSQL did not start";
    }
    error = failure;
    return server.get();
}

std::string postgres_query(const std::string& url, const std::string& sql, std::string& error,
                           const std::string& parameter) {
    error.clear();
    PGconn* conn = PQconnectdb(url.c_str());
    std::string value;
    if (PQstatus(conn) != CONNECTION_OK) {
        error = PQerrorMessage(conn);
    } else {
        const char* values[] = {parameter.c_str()};
        PGresult* result = PQexecParams(conn, sql.c_str(), parameter.empty() ? 0 : 1, nullptr, values, nullptr,
                                        nullptr, 0);
        const auto status = PQresultStatus(result);
        if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
            // The server's own words, without libpq's "ERROR:" and context lines.
            const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
            error = primary ? primary : PQresultErrorMessage(result);
        }
        else if (status == PGRES_TUPLES_OK && PQntuples(result) > 0 && PQnfields(result) > 0)
            value = PQgetvalue(result, 0, 0);
        PQclear(result);
    }
    PQfinish(conn);
    return value;
}

}  // namespace carebridge::testing
