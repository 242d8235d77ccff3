#include "support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

extern char** environ;

namespace carebridge::testing {
namespace {

using Clock = std::chrono::steady_clock;
// How often files and the child are looked at while waiting; short enough
// not to slow tests, long enough not to spin.
constexpr auto poll_interval = std::chrono::milliseconds(5);

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Complete lines only: a line still being written has no newline yet.
template <class Matches>
std::optional<std::string> nth_matching_line(const std::string& text, Matches& matches, int& remaining) {
    std::size_t start = 0;
    for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
        std::string_view line(text.data() + start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (matches(line) && --remaining == 0) return std::string(line);
    }
    return std::nullopt;
}

// Between fork and exec only async-signal-safe calls: the test may have threads.
[[noreturn]] void exec_child(pid_t parent, int error_pipe, const char* program, char* const* argv,
                             char* const* envp, const char* out_path, const char* err_path) {
    const auto die = [error_pipe] {
        const int error = errno;
        [[maybe_unused]] const auto n = ::write(error_pipe, &error, sizeof error);
        ::_exit(127);
    };
    ::setpgid(0, 0);
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die();
    if (::getppid() != parent) ::_exit(127);  // the test died before prctl took hold

    // Signal state is inherited across exec: start the child from defaults.
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction defaults = {};
    defaults.sa_handler = SIG_DFL;
    for (const int sig : {SIGPIPE, SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGCHLD}) ::sigaction(sig, &defaults, nullptr);

    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) die();
    if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) die();
    ::execve(program, argv, envp);
    die();
    ::_exit(127);  // die() does not return; this says so to the compiler
}

}  // namespace

std::string carebridge_binary() { return CAREBRIDGE_BINARY; }

ChildProcess::~ChildProcess() { kill_group(); }

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      status_(std::exchange(other.status_, std::nullopt)),
      stdout_path_(std::move(other.stdout_path_)),
      stderr_path_(std::move(other.stderr_path_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        kill_group();
        pid_ = std::exchange(other.pid_, -1);
        status_ = std::exchange(other.status_, std::nullopt);
        stdout_path_ = std::move(other.stdout_path_);
        stderr_path_ = std::move(other.stderr_path_);
    }
    return *this;
}

void ChildProcess::kill_group() {
    if (pid_ <= 0) return;
    // The group too: a shell's children or a server's helpers must not
    // outlive the test.
    ::kill(-pid_, SIGKILL);
    if (!status_) {
        ::kill(pid_, SIGKILL);
        reap(true);
    }
    pid_ = -1;
}

std::error_code ChildProcess::start(const std::string& program, const std::vector<std::string>& args,
                                    const std::string& log_dir, const std::string& name,
                                    const std::vector<std::string>& extra_env) {
    kill_group();
    status_.reset();
    std::error_code ec;
    std::filesystem::create_directories(log_dir, ec);
    if (ec) return ec;
    stdout_path_ = (std::filesystem::path(log_dir) / (name + ".stdout")).string();
    stderr_path_ = (std::filesystem::path(log_dir) / (name + ".stderr")).string();

    // Everything the child needs is built before fork.
    std::vector<std::string> argv_text{program};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_text) argv.push_back(arg.data());
    argv.push_back(nullptr);
    // extra_env first: getenv takes the first of duplicate keys.
    std::vector<std::string> env_text = extra_env;
    std::vector<char*> envp;
    for (auto& e : env_text) envp.push_back(e.data());
    for (char** e = environ; *e; ++e) envp.push_back(*e);
    envp.push_back(nullptr);

    // exec's errno comes back through a close-on-exec pipe: EOF means exec worked.
    int error_pipe[2];
    if (::pipe2(error_pipe, O_CLOEXEC) != 0) return {errno, std::generic_category()};
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int error = errno;
        ::close(error_pipe[0]);
        ::close(error_pipe[1]);
        return {error, std::generic_category()};
    }
    if (pid == 0) {
        ::close(error_pipe[0]);
        exec_child(parent, error_pipe[1], program.c_str(), argv.data(), envp.data(), stdout_path_.c_str(),
                   stderr_path_.c_str());
    }
    ::close(error_pipe[1]);
    ::setpgid(pid, pid);  // also here, so kill_group works even before the child ran
    pid_ = pid;
    int child_errno = 0;
    ssize_t n;
    do {
        n = ::read(error_pipe[0], &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    ::close(error_pipe[0]);
    if (n > 0) {
        reap(true);
        pid_ = -1;
        return {child_errno, std::generic_category()};
    }
    return {};
}

bool ChildProcess::reap(bool block) {
    if (status_) return true;
    if (pid_ <= 0) return false;
    int raw = 0;
    pid_t r;
    do {
        r = ::waitpid(pid_, &raw, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r != pid_) return false;
    ExitStatus status;
    if (WIFEXITED(raw)) status.code = WEXITSTATUS(raw);
    if (WIFSIGNALED(raw)) status.signal = WTERMSIG(raw);
    status_ = status;
    return true;
}

bool ChildProcess::running() { return pid_ > 0 && !reap(false); }

bool ChildProcess::signal(int sig) {
    if (pid_ <= 0 || reap(false)) return false;
    return ::kill(pid_, sig) == 0;
}

std::optional<ExitStatus> ChildProcess::wait_for_exit(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!reap(false)) {
        if (pid_ <= 0 || Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(poll_interval);
    }
    return status_;
}

template <class Matches>
std::optional<std::string> ChildProcess::wait_for(Matches matches, std::chrono::milliseconds timeout,
                                                  int occurrence) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        // Whether it had ended is read before the files, so a line printed
        // just before the end is still found by this last look.
        const bool ended = pid_ <= 0 || reap(false);
        int remaining = occurrence;
        if (auto line = nth_matching_line(stdout_text(), matches, remaining)) return line;
        if (auto line = nth_matching_line(stderr_text(), matches, remaining)) return line;
        if (ended || Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(poll_interval);
    }
}

std::optional<std::string> ChildProcess::wait_for_line(std::string_view prefix, std::chrono::milliseconds timeout,
                                                       int occurrence) {
    return wait_for([prefix](std::string_view line) { return line.starts_with(prefix); }, timeout, occurrence);
}

std::optional<std::string> ChildProcess::wait_for_line_containing(std::string_view text,
                                                                  std::chrono::milliseconds timeout,
                                                                  int occurrence) {
    return wait_for([text](std::string_view line) { return line.find(text) != std::string_view::npos; }, timeout,
                    occurrence);
}

std::string ChildProcess::stdout_text() const { return stdout_path_.empty() ? std::string() : read_file(stdout_path_); }
std::string ChildProcess::stderr_text() const { return stderr_path_.empty() ? std::string() : read_file(stderr_path_); }

}  // namespace carebridge::testing
