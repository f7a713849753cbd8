// Process: one daemon (or any program) started by a test or benchmark, in a process group of
// its own. Its stdout goes to `<log>.stdout`, where waitReady() finds the READY line naming the
// endpoints it bound (core/ready_line.h); stderr goes to `<log>`. The whole group is killed and
// reaped on every path: stop()/kill(), the destructor, and a crash of the harness itself (the
// child is started with PR_SET_PDEATHSIG = SIGKILL, so the kernel kills it when the thread that
// started it dies; start processes from a thread that lives as long as they should).
// Both files are appended to, so a restarted process keeps its earlier runs' lines.
// One owner thread; not thread-safe.
#pragma once

#include <sys/types.h>

#include <csignal>
#include <functional>
#include <string>
#include <vector>

#include "core/ready_line.h"
#include "core/result.h"

namespace spikeline::harness {

class Process {
 public:
  Process() = default;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() { kill(); }

  // Starts argv[0] (a path, or a name looked up in PATH). kUnavailable when it cannot fork;
  // a program that cannot be executed exits 127 (waitReady reports it).
  Status start(const std::vector<std::string>& argv, const std::string& log_path);

  // Waits up to `timeout_ms` for the READY line on stdout. kDeadlineExceeded on timeout,
  // kUnavailable when the process exited first (with its exit code and the tail of its log),
  // kInvalidArgument when the line is malformed.
  Result<ReadyLine> waitReady(int timeout_ms);
  // The announced endpoint `key` of the last successful waitReady(); "" when absent.
  std::string endpoint(const std::string& key) const { return ready_.find(key); }
  const ReadyLine& ready() const { return ready_; }

  // Sends `sig` to the process alone (SIGSTOP, SIGCONT, SIGKILL of one worker, ...).
  void signal(int sig) const;
  // Sends `sig`, waits up to `grace_ms` for the exit, then SIGKILLs the group; reaps. Returns
  // the exit code, 128 + signal when it died of one, -1 when it was not running.
  int stop(int sig = SIGTERM, int grace_ms = 5000);
  // SIGKILLs the whole group and reaps the process (no-op when not running).
  void kill();
  // Waits up to `timeout_ms` (< 0: forever) for an exit; its code as stop() says, -1 while it
  // still runs.
  int reap(int timeout_ms);
  bool running();

  pid_t pid() const { return pid_; }
  int exitCode() const { return exit_code_; }
  const std::string& logPath() const { return log_path_; }
  // The last `bytes` of stderr's log.
  std::string logTail(size_t bytes = 4000) const;
  // VmRSS in KiB (0 when unknown).
  long rssKib() const;

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string log_path_;
  std::string stdout_path_;
  size_t stdout_read_ = 0;  // bytes of stdout scanned so far
  std::string stdout_partial_;
  ReadyLine ready_;
};

// Polls `done` every 5 ms until it holds or `timeout_ms` passes; true when it held.
bool waitUntil(const std::function<bool()>& done, int timeout_ms);

}  // namespace spikeline::harness
