#include "tests/harness/redis_server.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

#include "tests/harness/files.h"

namespace spikeline::harness {

int randomPortBelowEphemeral() {
  int low = 32768, high = 60999;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low >> high;
  const int top = std::max(10001, low - 1);
  static thread_local std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  return std::uniform_int_distribution<int>(10000, top)(rng);
}

RedisServer::RedisServer(std::vector<std::string> extra)
    : dir_(makeTempDir("spikeline-redis")), extra_(std::move(extra)) {
  start();
}

RedisServer::~RedisServer() {
  process_.stop(SIGTERM);
  if (std::getenv("SPIKELINE_KEEP_TEST_DIRS") != nullptr) {
    std::fprintf(stderr, "kept %s\n", dir_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool RedisServer::startOn(int port, std::string& why) {
  const std::filesystem::path log = dir_ / "redis.log";
  std::vector<std::string> argv{"redis-server", "--port", std::to_string(port), "--bind",
                                "127.0.0.1", "--save", "", "--appendonly", "yes",
                                "--appendfsync", "always", "--dir", dir_.string(),
                                "--logfile", log.string()};
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  // Redis writes its own log (--logfile, appended across restarts); stderr/stdout of the
  // process go beside it for anything said before the log opens.
  if (Status s = process_.start(argv, (dir_ / "redis.stderr").string()); !s.isOk()) {
    why = s.toString();
    return false;
  }
  const size_t seen = readText(log).size();  // earlier runs' lines do not count
  const bool up = waitUntil(
      [&] {
        return !process_.running() ||
               readText(log).find("Ready to accept connections", seen) != std::string::npos;
      },
      10'000);
  if (up && process_.running()) return true;
  const std::string text = readText(log);
  why = text.size() > seen ? text.substr(seen) : process_.logTail();
  process_.kill();
  return false;
}

bool RedisServer::start() {
  std::string why;
  if (port_ != 0) {
    // A restart: the port is ours by convention (nothing binds below the ephemeral range but
    // another RedisServer); a closing listener may hold it a moment.
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (startOn(port_, why)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  } else {
    for (int attempt = 0; attempt < 20; ++attempt) {
      const int port = randomPortBelowEphemeral();
      if (startOn(port, why)) {
        port_ = port;
        return true;
      }
      if (why.find("in use") == std::string::npos) break;  // not a lost draw: give up
    }
  }
  std::fprintf(stderr, "RedisServer: cannot start redis-server in %s: %s\n", dir_.c_str(),
               why.c_str());
  return false;
}

void RedisServer::wipe() {
  std::error_code ec;
  std::filesystem::remove_all(dir_ / "appendonlydir", ec);
  std::filesystem::remove(dir_ / "appendonly.aof", ec);
}

}  // namespace spikeline::harness
