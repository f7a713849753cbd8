// RateLimiter: a token bucket per peer (a ZeroMQ routing id, i.e. one connection) deciding
// whether the broker serves a request now. Kept as the bucket's "theoretical arrival time" (GCRA,
// the same decisions as a token bucket) in integer nanoseconds, so no rounding drifts. Time is
// passed in (monotonic ns): it never sleeps or reads a clock. At most `max_peers` buckets are kept;
// idle ones are forgotten, and when every kept bucket is busy, new peers share one bucket, so a
// flood of new identities costs bounded memory. Owns its buckets. Thread safety: none (the broker
// loop's thread only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>

namespace spikeline::broker {

struct RateLimit {
  double per_second = 50;   // requests a second, sustained; <= 0 = no limit. Default: 50
  uint32_t burst = 100;     // requests served at once after a quiet spell (>= 1). Default: 100
  size_t max_peers = 4096;  // buckets kept; beyond, new peers share one bucket. Default: 4096
  // A refused peer is logged at most once per period. Default: 10 s
  int64_t log_period_ns = 10'000'000'000;
};

// What admit() decided for one request.
struct Admission {
  bool allowed = true;
  int64_t retry_after_ns = 0;  // refused: until the bucket holds a token again
  // Refused: true at most once per peer per log period; `refused_since_log` then counts the
  // requests refused since the peer's previous log line, this one included.
  bool log = false;
  uint64_t refused_since_log = 0;
  bool shared = false;  // charged to the shared bucket of untracked peers (the table is full)
};

class RateLimiter {
 public:
  // REQUIRES: limit.burst >= 1, limit.max_peers >= 1 and limit.per_second <= 1e9 when
  // limit.per_second > 0.
  explicit RateLimiter(RateLimit limit);

  // Takes one token from `peer`'s bucket (made full for a new peer) at `now_ns`.
  Admission admit(const std::string& peer, int64_t now_ns);

  // Buckets kept now (the shared one not counted); at most limit().max_peers.
  size_t trackedPeers() const { return buckets_.size(); }
  const RateLimit& limit() const { return limit_; }

 private:
  struct Bucket {
    // When the bucket is full again (<= now: full). Serving a request adds one interval;
    // a request is refused while full_at_ns - now > (burst - 1) intervals.
    int64_t full_at_ns = 0;
    int64_t logged_ns = 0;
    bool logged = false;  // logged_ns is meaningful
    uint64_t refused_unlogged = 0;
    std::list<std::string>::iterator lru;  // its entry in lru_ (unused for shared_)
  };
  Admission take(Bucket& b, int64_t now_ns);
  // Forgets the least recently used bucket when it is full (forgetting it changes nothing) and
  // its last log line, if any, is a log period old.
  bool evictIdle(int64_t now_ns);

  RateLimit limit_;
  int64_t interval_ns_ = 0;   // between two tokens: 1 s / per_second
  int64_t tolerance_ns_ = 0;  // (burst - 1) intervals
  std::unordered_map<std::string, Bucket> buckets_;
  std::list<std::string> lru_;  // least recently used first
  Bucket shared_;
};

}  // namespace spikeline::broker
