// RedisConnection: one synchronous hiredis connection that reconnects with exponential backoff
// and turns every reply into a value or a Status (never asserts on a reply). Internal to
// broker/ (the only file that includes hiredis.h is redis_connection.cpp).
// A resource; one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "broker/store.h"
#include "core/result.h"

namespace spikeline::broker {

// A Redis reply as plain values: nil, integer, string (bulk/status), or array.
struct RedisValue {
  enum class Kind { kNil, kInteger, kString, kArray } kind = Kind::kNil;
  long long integer = 0;
  std::string str;
  std::vector<RedisValue> elements;
};

class RedisConnection {
 public:
  explicit RedisConnection(const RedisOptions& options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Runs one command (binary-safe arguments). kUnavailable when not connected (a reconnect is
  // attempted once the backoff has passed) or the connection broke; kInternal for an error reply.
  Result<RedisValue> run(const std::vector<std::string>& args);
  // Runs commands inside MULTI/EXEC.
  Status runAtomically(const std::vector<std::vector<std::string>>& commands);
  uint64_t connectionCount() const { return connections_; }

 private:
  Status ensureConnected();
  void dropConnection(const std::string& why);

  RedisOptions options_;
  void* context_ = nullptr;  // redisContext*
  std::chrono::steady_clock::time_point next_attempt_{};
  int backoff_ms_ = 0;
  std::string last_error_;
  uint64_t connections_ = 0;
};

}  // namespace spikeline::broker
