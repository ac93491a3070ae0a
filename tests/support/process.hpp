// Runs a program the way a user would: arguments, environment, stdin, and
// its output captured; or keeps it running to talk to it and signal it.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace profo::testing {

struct ProcessResult {
    int exit_code = -1;  // 128 + signal when killed by one
    std::string out;
    std::string err;
};

using ExtraEnvironment = std::map<std::string, std::string>;

// Runs to completion (killed after `timeout`), feeding `input` on stdin.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = "",
                          const ExtraEnvironment& env = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A process left running while the test talks to it. Killed on destruction.
class RunningProcess {
public:
    RunningProcess(const std::vector<std::string>& argv, const ExtraEnvironment& env = {});
    ~RunningProcess();
    RunningProcess(const RunningProcess&) = delete;
    RunningProcess& operator=(const RunningProcess&) = delete;

    // Waits until stderr contains `text`; returns everything read so far, or
    // throws std::runtime_error (with the output) when it does not come in time
    // or the process exits first.
    std::string wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout);
    void signal(int signo);
    // Exit code (128 + signal when killed by one); throws on timeout.
    int wait(std::chrono::milliseconds timeout);
    std::string err() const { return err_; }
    int pid() const { return pid_; }

private:
    void drain(std::chrono::milliseconds budget);

    int pid_ = -1;
    int err_fd_ = -1;
    std::string err_;
    bool exited_ = false;
    int status_ = 0;
};

// A folder under /tmp removed with everything in it when the object goes.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

}  // namespace profo::testing
