#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <random>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace profo::testing {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> merged_environment(const ExtraEnvironment& extra) {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry(*e);
        const auto eq = entry.find('=');
        if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    for (const auto& [k, v] : extra) env[k] = v;
    std::vector<std::string> out;
    for (const auto& [k, v] : env) out.push_back(k + "=" + v);
    return out;
}

// fork + exec with the given pipes as stdin/stdout/stderr (-1: /dev/null).
int spawn(const std::vector<std::string>& argv, const ExtraEnvironment& extra, int in_fd, int out_fd,
          int err_fd) {
    auto env = merged_environment(extra);
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int devnull = open("/dev/null", O_RDWR);
        dup2(in_fd >= 0 ? in_fd : devnull, 0);
        dup2(out_fd >= 0 ? out_fd : devnull, 1);
        dup2(err_fd >= 0 ? err_fd : devnull, 2);
        // A fresh signal mask: the test runner may block signals the child needs.
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        execve(args[0], args.data(), envp.data());
        _exit(127);
    }
    return pid;
}

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input,
                          const ExtraEnvironment& env, std::chrono::milliseconds timeout) {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    const int pid = spawn(argv, env, in[0], out[1], err[1]);
    close(in[0]);
    close(out[1]);
    close(err[1]);

    ProcessResult result;
    std::size_t written = 0;
    int in_fd = in[1];
    if (input.empty()) close(in_fd), in_fd = -1;
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    fcntl(err[0], F_SETFL, O_NONBLOCK);
    if (in_fd >= 0) fcntl(in_fd, F_SETFL, O_NONBLOCK);
    signal(SIGPIPE, SIG_IGN);

    const auto deadline = Clock::now() + timeout;
    bool out_open = true, err_open = true;
    std::array<char, 65536> buf{};
    while (out_open || err_open) {
        if (Clock::now() > deadline) {
            kill(pid, SIGKILL);
            break;
        }
        std::vector<pollfd> fds;
        if (out_open) fds.push_back({out[0], POLLIN, 0});
        if (err_open) fds.push_back({err[0], POLLIN, 0});
        if (in_fd >= 0) fds.push_back({in_fd, POLLOUT, 0});
        poll(fds.data(), fds.size(), 100);
        for (const auto& p : fds) {
            if (p.fd == in_fd && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
                const ssize_t n = write(in_fd, input.data() + written, input.size() - written);
                if (n > 0) written += static_cast<std::size_t>(n);
                if (n < 0 || written == input.size()) close(in_fd), in_fd = -1;
            } else if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
                const ssize_t n = read(p.fd, buf.data(), buf.size());
                std::string& sink = p.fd == out[0] ? result.out : result.err;
                if (n > 0)
                    sink.append(buf.data(), static_cast<std::size_t>(n));
                else if (n == 0 || errno != EAGAIN)
                    (p.fd == out[0] ? out_open : err_open) = false;
            }
        }
    }
    if (in_fd >= 0) close(in_fd);
    close(out[0]);
    close(err[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = decode_status(status);
    return result;
}

RunningProcess::RunningProcess(const std::vector<std::string>& argv, const ExtraEnvironment& env) {
    int err[2];
    if (pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    pid_ = spawn(argv, env, -1, -1, err[1]);
    close(err[1]);
    err_fd_ = err[0];
    fcntl(err_fd_, F_SETFL, O_NONBLOCK);
}

RunningProcess::~RunningProcess() {
    if (!exited_ && pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status_, 0);
    }
    if (err_fd_ >= 0) close(err_fd_);
}

void RunningProcess::drain(std::chrono::milliseconds budget) {
    pollfd p{err_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(budget.count())) <= 0) return;
    std::array<char, 65536> buf{};
    const ssize_t n = read(err_fd_, buf.data(), buf.size());
    if (n > 0) err_.append(buf.data(), static_cast<std::size_t>(n));
}

std::string RunningProcess::wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (err_.find(text) == std::string::npos) {
        if (Clock::now() > deadline)
            throw std::runtime_error("timed out waiting for '" + text + "'; stderr:\n" + err_);
        if (!exited_ && waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
        drain(std::chrono::milliseconds(50));
        if (exited_ && err_.find(text) == std::string::npos) {
            drain(std::chrono::milliseconds(50));
            if (err_.find(text) == std::string::npos)
                throw std::runtime_error("process exited (" + std::to_string(decode_status(status_)) +
                                         ") before printing '" + text + "'; stderr:\n" + err_);
        }
    }
    return err_;
}

void RunningProcess::signal(int signo) {
    if (!exited_) kill(pid_, signo);
}

int RunningProcess::wait(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!exited_) {
        if (waitpid(pid_, &status_, WNOHANG) == pid_) {
            exited_ = true;
            break;
        }
        if (Clock::now() > deadline)
            throw std::runtime_error("process did not exit in time; stderr:\n" + err_);
        drain(std::chrono::milliseconds(20));
    }
    for (int i = 0; i < 5; ++i) drain(std::chrono::milliseconds(10));
    return decode_status(status_);
}

TempDir::TempDir() {
    std::random_device rd;
    path_ =
        fs::temp_directory_path() / ("profo-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

}  // namespace profo::testing
