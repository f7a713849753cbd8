// ChildProcess: a spikeline-worker (or any binary) spawned by a test, with its READY line read
// from stdout. Owns the process: the destructor SIGKILLs and reaps it, so a failing test never
// leaves one behind. One owner thread; not thread-safe.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace spikeline::testing {

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { kill(SIGKILL); }

  // Starts `argv[0]` with `argv`; stderr goes to `log_path` (kept for post-mortems).
  bool start(const std::vector<std::string>& argv, const std::string& log_path) {
    int out[2];
    if (::pipe(out) != 0) return false;
    pid_ = ::fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      const int err = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (err >= 0) ::dup2(err, 2);
      ::close(out[0]);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(out[1]);
    stdout_fd_ = out[0];
    return true;
  }

  // Reads stdout until a line "READY <endpoint>"; returns the endpoint, "" on timeout or exit.
  std::string waitReady(int timeout_ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::string buf;
    while (std::chrono::steady_clock::now() < until) {
      pollfd p{stdout_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char c[256];
      const ssize_t n = ::read(stdout_fd_, c, sizeof(c));
      if (n <= 0) return "";
      buf.append(c, size_t(n));
      const size_t at = buf.find("READY ");
      const size_t nl = at == std::string::npos ? at : buf.find('\n', at);
      if (nl != std::string::npos) return buf.substr(at + 6, nl - at - 6);
    }
    return "";
  }

  void kill(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    if (sig == SIGKILL) reap(-1);
  }
  // Waits up to timeout_ms for the exit; returns the exit status (-1: still running / killed).
  int reap(int timeout_ms) {
    if (pid_ <= 0) return exit_code_;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, timeout_ms < 0 ? 0 : WNOHANG);
      if (r == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        pid_ = -1;
        if (stdout_fd_ >= 0) ::close(stdout_fd_);
        stdout_fd_ = -1;
        return exit_code_;
      }
      if (timeout_ms >= 0 && std::chrono::steady_clock::now() > until) return -1;
      ::usleep(10'000);
    }
  }
  pid_t pid() const { return pid_; }

  // VmRSS of the process in KiB (0 when unknown).
  long rssKib() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return 0;
  }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int exit_code_ = -1;
};

}  // namespace spikeline::testing
