// RedisServer: a real redis-server for one test, on a free port, AOF on, in a temporary
// directory; stop()/start() restart it on the same port and data; killed in the destructor.
// Header-only; tests only. Not thread-safe.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace spikeline::broker::testing {

// A TCP port that was free a moment ago (bound to port 0, then closed).
inline int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Spawns argv[0] with arguments; returns the pid (or -1). stdout/stderr go to `log_file`.
inline pid_t spawnProcess(const std::vector<std::string>& argv, const std::string& log_file) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // reaped even when the test process dies
  FILE* log = std::fopen(log_file.c_str(), "a");
  if (log != nullptr) {
    ::dup2(fileno(log), 1);
    ::dup2(fileno(log), 2);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  std::_Exit(127);
}

// Sends `sig` and waits for the process (bounded: SIGKILL after 5 s). Returns the wait status,
// or -1 when there was no process.
inline int stopProcess(pid_t& pid, int sig = SIGTERM) {
  if (pid <= 0) return -1;
  ::kill(pid, sig);
  int status = 0;
  for (int i = 0; i < 500; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  pid = -1;
  return status;
}

inline std::filesystem::path makeTempDir(const std::string& tag) {
  std::string pattern = (std::filesystem::temp_directory_path() / (tag + "-XXXXXX")).string();
  char* made = ::mkdtemp(pattern.data());
  return made != nullptr ? std::filesystem::path(made) : std::filesystem::path();
}

inline std::string readFileForTest(const std::filesystem::path& p) {
  std::string out;
  if (FILE* f = std::fopen(p.c_str(), "rb")) {
    char buf[4096];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
  }
  return out;
}

class RedisServer {
 public:
  // `extra` is appended to redis-server's arguments (e.g. --requirepass, --user ACL rules).
  explicit RedisServer(std::vector<std::string> extra = {})
      : dir_(makeTempDir("spikeline-redis")), port_(freePort()), extra_(std::move(extra)) {
    start();
  }
  // SPIKELINE_KEEP_TEST_DIRS=1 keeps the directory (every process's log) for a post-mortem.
  ~RedisServer() {
    stop();
    if (std::getenv("SPIKELINE_KEEP_TEST_DIRS") != nullptr) {
      std::fprintf(stderr, "kept %s\n", dir_.c_str());
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& dir() const { return dir_; }

  // Starts the server and waits (up to 5 s) until its port accepts connections.
  bool start() {
    std::vector<std::string> argv{"redis-server", "--port",   std::to_string(port_),
                                  "--bind",       "127.0.0.1", "--save",
                                  "",             "--appendonly", "yes",
                                  "--appendfsync", "always",   "--dir",
                                  dir_.string()};
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    pid_ = spawnProcess(argv, (dir_ / "redis.log").string());
    for (int i = 0; i < 500; ++i) {
      if (accepts()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  void stop() { stopProcess(pid_, SIGTERM); }
  // Deletes the persisted data (call while stopped): the next start() is an empty Redis.
  void wipe() {
    std::error_code ec;
    std::filesystem::remove_all(dir_ / "appendonlydir", ec);
    std::filesystem::remove(dir_ / "appendonly.aof", ec);
  }
  void kill() { stopProcess(pid_, SIGKILL); }

 private:
  bool accepts() const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
  }

  std::filesystem::path dir_;
  int port_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
};

}  // namespace spikeline::broker::testing
