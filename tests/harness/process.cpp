#include "tests/harness/process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

namespace spikeline::harness {
namespace {

using Steady = std::chrono::steady_clock;

int codeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// In the child, between fork and exec: only async-signal-safe calls.
[[noreturn]] void execChild(const std::vector<char*>& args, const char* log, const char* out,
                            pid_t parent) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the harness died before prctl took effect
  const int in = ::open("/dev/null", O_RDONLY);
  if (in >= 0) ::dup2(in, 0);
  const int o = ::open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (o >= 0) ::dup2(o, 1);
  const int e = ::open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (e >= 0) ::dup2(e, 2);
  ::execvp(args[0], args.data());
  ::_exit(127);
}

}  // namespace

Status Process::start(const std::vector<std::string>& argv, const std::string& log_path) {
  if (argv.empty()) return invalidArgument("Process::start: empty argv");
  kill();
  log_path_ = log_path;
  stdout_path_ = log_path + ".stdout";
  std::error_code ec;
  const auto earlier = std::filesystem::file_size(stdout_path_, ec);  // a restart appends
  stdout_read_ = ec ? 0 : static_cast<size_t>(earlier);
  stdout_partial_.clear();
  ready_ = ReadyLine{};
  exit_code_ = -1;
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return unavailable("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) execChild(args, log_path_.c_str(), stdout_path_.c_str(), parent);
  ::setpgid(pid, pid);  // also here: no window in which a group kill misses it
  pid_ = pid;
  return Status::ok();
}

Result<ReadyLine> Process::waitReady(int timeout_ms) {
  const auto until = Steady::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    std::ifstream in(stdout_path_, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(stdout_read_));
    std::string chunk((std::istreambuf_iterator<char>(in)), {});
    stdout_read_ += chunk.size();
    stdout_partial_ += chunk;
    for (size_t nl = stdout_partial_.find('\n'); nl != std::string::npos;
         nl = stdout_partial_.find('\n')) {
      const std::string line = stdout_partial_.substr(0, nl);
      stdout_partial_.erase(0, nl + 1);
      if (line.rfind("READY", 0) != 0) continue;
      SPIKELINE_ASSIGN_OR_RETURN(ready_, parseReadyLine(line));
      return ready_;
    }
    if (!running()) {
      return unavailable(stdout_path_ + ": the process exited with code " +
                         std::to_string(exit_code_) + " before READY; log tail:\n" + logTail());
    }
    if (Steady::now() >= until) {
      return deadlineExceeded("no READY line in " + std::to_string(timeout_ms) + " ms from " +
                              stdout_path_ + "; log tail:\n" + logTail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void Process::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

int Process::stop(int sig, int grace_ms) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  if (sig == SIGSTOP) return -1;
  reap(grace_ms);
  if (pid_ > 0) kill();
  return exit_code_;
}

void Process::kill() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);  // the group: anything it started too
  ::kill(pid_, SIGKILL);   // in case it left its group
  reap(-1);
}

int Process::reap(int timeout_ms) {
  if (pid_ <= 0) return exit_code_;
  const auto until = Steady::now() + std::chrono::milliseconds(std::max(0, timeout_ms));
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, timeout_ms < 0 ? 0 : WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      exit_code_ = r == pid_ ? codeOf(status) : -1;
      // Members of its group that outlived it (none, for well-behaved daemons) go with it.
      ::kill(-pid_, SIGKILL);
      pid_ = -1;
      return exit_code_;
    }
    if (r < 0 && errno == EINTR) continue;
    if (timeout_ms >= 0 && Steady::now() >= until) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

bool Process::running() {
  if (pid_ <= 0) return false;
  reap(0);
  return pid_ > 0;
}

std::string Process::logTail(size_t bytes) const {
  std::ifstream in(log_path_, std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), {});
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

long Process::rssKib() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

bool waitUntil(const std::function<bool()>& done, int timeout_ms) {
  const auto until = Steady::now() + std::chrono::milliseconds(timeout_ms);
  while (Steady::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

}  // namespace spikeline::harness
