// RedisServer: a real redis-server for one test (AOF on, fsync always) in a temporary directory,
// started through Process. Redis cannot announce a port it picked, so the harness owns the race:
// it picks a random loopback port *below* the kernel's ephemeral range (which no port-0 bind and
// no outgoing connection ever gets), starts redis there, and on "address in use" (another test's
// Redis won the draw) tries another, until redis logs that it accepts connections.
// stop()/start() restart it on the same port and data (retrying while the port is still held);
// killed in the destructor. One owner thread; not thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tests/harness/process.h"

namespace spikeline::harness {

class RedisServer {
 public:
  // `extra` is appended to redis-server's arguments (e.g. --requirepass, --user ACL rules).
  explicit RedisServer(std::vector<std::string> extra = {});
  // SPIKELINE_KEEP_TEST_DIRS=1 keeps the directory (every process's log) for a post-mortem.
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& dir() const { return dir_; }

  // (Re)starts the server — on a new port the first time, on the same port afterwards — and
  // waits up to 10 s until it accepts connections. False (with the reason on stderr) otherwise.
  bool start();
  void stop() { process_.stop(SIGTERM); }
  void kill() { process_.kill(); }
  // Deletes the persisted data (call while stopped): the next start() is an empty Redis.
  void wipe();
  Process& process() { return process_; }

 private:
  bool startOn(int port, std::string& why);

  std::filesystem::path dir_;
  int port_ = 0;
  std::vector<std::string> extra_;
  Process process_;
};

// A random TCP port below the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range)
// and at or above 10000: for servers that cannot bind port 0 themselves.
int randomPortBelowEphemeral();

}  // namespace spikeline::harness
