// The child-process runner the out-of-process gateway tests use, on /bin/sh.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "support/child_process.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using carebridge::testing::ChildProcess;

// Gone, or a zombie waiting for init: either way it no longer runs.
bool dead(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_field, name, state;
    if (!(stat >> pid_field >> name >> state)) return true;
    return state == "Z" || state == "X";
}

class ChildProcessTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "carebridge-child-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::error_code shell(ChildProcess& child, const std::string& script, std::vector<std::string> env = {}) {
        return child.start("/bin/sh", {"-c", script}, dir_.string(), "sh", env);
    }

    fs::path dir_;
};

TEST_F(ChildProcessTest, FindsTheLineAndEndsOnSigterm) {
    ChildProcess child;
    ASSERT_FALSE(shell(child, "echo starting; echo listening on x; sleep 30"));
    const auto line = child.wait_for_line("listening on ", 10s);
    ASSERT_TRUE(line.has_value()) << child.stdout_text() << child.stderr_text();
    EXPECT_EQ(*line, "listening on x");
    EXPECT_TRUE(child.running());
    ASSERT_TRUE(child.signal(SIGTERM));
    const auto status = child.wait_for_exit(10s);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(status->signal, SIGTERM);
    EXPECT_FALSE(child.running());
    EXPECT_FALSE(child.signal(SIGTERM));  // reaped: nothing left to signal
    EXPECT_EQ(child.wait_for_exit(0ms)->signal, SIGTERM);
    EXPECT_EQ(child.stdout_text(), "starting\nlistening on x\n");
}

TEST_F(ChildProcessTest, ReadsStderrAndExitCodes) {
    ChildProcess child;
    ASSERT_FALSE(shell(child, "echo 'config: unknown key \"listners\"' >&2; exit 3"));
    EXPECT_EQ(child.wait_for_line_containing("unknown key", 10s), "config: unknown key \"listners\"");
    const auto status = child.wait_for_exit(10s);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(status->exited_with(3));
    EXPECT_EQ(fs::path(child.stderr_path()).parent_path(), dir_);
}

TEST_F(ChildProcessTest, StopsWaitingWhenTheChildEndsWithoutTheLine) {
    ChildProcess child;
    ASSERT_FALSE(shell(child, "echo nothing to see"));
    EXPECT_FALSE(child.wait_for_line("listening on ", 60s).has_value());
    EXPECT_TRUE(child.wait_for_exit(10s)->exited_with(0));
}

TEST_F(ChildProcessTest, PicksTheNthOccurrence) {
    ChildProcess child;
    ASSERT_FALSE(shell(child, "echo reloaded 1; echo reloaded 2; sleep 30"));
    EXPECT_EQ(child.wait_for_line("reloaded", 10s, 2), "reloaded 2");
    EXPECT_EQ(child.wait_for_line("reloaded", 10s, 1), "reloaded 1");
}

TEST_F(ChildProcessTest, PassesExtraEnvironment) {
    ChildProcess child;
    ASSERT_FALSE(shell(child, "echo \"value=$CAREBRIDGE_SELFTEST\"", {"CAREBRIDGE_SELFTEST=x"}));
    EXPECT_EQ(child.wait_for_line("value=", 10s), "value=x");
}

TEST_F(ChildProcessTest, ReportsAProgramThatCannotRun) {
    ChildProcess child;
    const auto ec = child.start((dir_ / "no-such-program").string(), {}, dir_.string());
    EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
    EXPECT_FALSE(child.running());
}

TEST_F(ChildProcessTest, DestructorKillsTheChildAndItsChildren) {
    pid_t shell_pid = -1, sleeper = -1;
    {
        ChildProcess child;
        ASSERT_FALSE(shell(child, "sleep 30 & echo \"sleeper $!\"; wait"));
        const auto line = child.wait_for_line("sleeper ", 10s);
        ASSERT_TRUE(line.has_value());
        shell_pid = child.pid();
        sleeper = std::stoi(line->substr(8));
    }
    EXPECT_TRUE(dead(shell_pid));
    // The grandchild is SIGKILLed with the group; init reaps it when it will.
    for (int i = 0; i < 1000 && !dead(sleeper); ++i) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(dead(sleeper));
}

TEST_F(ChildProcessTest, MovedChildIsStillOwned) {
    ChildProcess moved;
    {
        ChildProcess child;
        ASSERT_FALSE(shell(child, "sleep 30"));
        moved = std::move(child);
    }
    EXPECT_TRUE(moved.running());
    EXPECT_TRUE(moved.signal(SIGKILL));
    EXPECT_EQ(moved.wait_for_exit(10s)->signal, SIGKILL);
}

TEST_F(ChildProcessTest, CarebridgeBinaryIsBuilt) {
    EXPECT_TRUE(fs::is_regular_file(carebridge::testing::carebridge_binary())) << carebridge::testing::carebridge_binary();
}

}  // namespace
