#pragma once
// A program run by a test as a separate process, above all the real
// `carebridge` binary for out-of-process tests (SIGTERM drain, SIGHUP reload,
// kill -9 and restart). Its stdout and stderr go to files so a failed test can
// show them, and the test waits on lines in them ("listening on ...").
//
// The child leads its own process group and dies with the test: the
// destructor SIGKILLs the group, and PR_SET_PDEATHSIG kills the child should
// the test process itself crash.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace carebridge::testing {

// How a child ended.
struct ExitStatus {
    int code = -1;   // the exit code when it exited; -1 when a signal ended it
    int signal = 0;  // the signal that ended it; 0 when it exited

    bool exited_with(int expected) const { return signal == 0 && code == expected; }
};

// The `carebridge` binary built with the tests (the CAREBRIDGE_BINARY macro).
std::string carebridge_binary();

class ChildProcess {
public:
    ChildProcess() = default;
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;

    // Starts `program` (a path; no PATH search) with `args`, stdin from
    // /dev/null, stdout and stderr into log_dir/NAME.stdout and NAME.stderr
    // (truncated). `extra_env` ("KEY=value") is added to this process's
    // environment. Fails (ENOENT, EACCES, ...) if the program cannot be executed.
    std::error_code start(const std::string& program, const std::vector<std::string>& args,
                          const std::string& log_dir, const std::string& name = "child",
                          const std::vector<std::string>& extra_env = {});

    // Waits until a complete line on stdout or stderr starts with `prefix`
    // (`contains`: has it anywhere) and returns it, without its newline.
    // `occurrence` picks the n-th such line (stdout's lines count before
    // stderr's), e.g. 2 for a second "reloaded" after a second SIGHUP. Empty
    // on timeout, or as soon as the child has exited without printing it.
    std::optional<std::string> wait_for_line(std::string_view prefix, std::chrono::milliseconds timeout,
                                             int occurrence = 1);
    std::optional<std::string> wait_for_line_containing(std::string_view text, std::chrono::milliseconds timeout,
                                                        int occurrence = 1);

    // Sends `sig` to the child (not its group). False if it has already been reaped.
    bool signal(int sig);

    // Waits up to `timeout` for the child to end and reaps it; empty on timeout.
    // Once reaped, returns the same status again at once.
    std::optional<ExitStatus> wait_for_exit(std::chrono::milliseconds timeout);

    // Started and not yet seen to end.
    bool running();
    pid_t pid() const { return pid_; }
    const std::string& stdout_path() const { return stdout_path_; }
    const std::string& stderr_path() const { return stderr_path_; }
    std::string stdout_text() const;
    std::string stderr_text() const;

private:
    // Reaps the child if it has ended; true once it is reaped.
    bool reap(bool block);
    template <class Matches>
    std::optional<std::string> wait_for(Matches matches, std::chrono::milliseconds timeout, int occurrence);
    void kill_group();

    pid_t pid_ = -1;
    std::optional<ExitStatus> status_;
    std::string stdout_path_;
    std::string stderr_path_;
};

}  // namespace carebridge::testing
