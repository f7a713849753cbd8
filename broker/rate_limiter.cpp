#include "broker/rate_limiter.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace spikeline::broker {
namespace {

constexpr int64_t kMaxIntervalNs = 31'536'000'000'000'000;      // a year
constexpr int64_t kMaxToleranceNs = 3'153'600'000'000'000'000;  // 100 years

}  // namespace

RateLimiter::RateLimiter(RateLimit limit) : limit_(limit) {
  if (limit_.per_second <= 0) return;
  assert(limit_.burst >= 1 && limit_.max_peers >= 1 && limit_.per_second <= 1e9);
  // Bounded so that times stay far from int64 overflow whatever the flags say (a year, 100 years).
  interval_ns_ =
      std::max<int64_t>(1, std::llround(std::min(1e9 / limit_.per_second, double(kMaxIntervalNs))));
  tolerance_ns_ = static_cast<int64_t>(
      std::min(double(limit_.burst - 1) * double(interval_ns_), double(kMaxToleranceNs)));
}

Admission RateLimiter::take(Bucket& b, int64_t now_ns) {
  const int64_t full_at = std::max(b.full_at_ns, now_ns);
  Admission a;
  if (full_at - now_ns <= tolerance_ns_) {
    b.full_at_ns = full_at + interval_ns_;
    return a;
  }
  a.allowed = false;
  a.retry_after_ns = full_at - now_ns - tolerance_ns_;
  ++b.refused_unlogged;
  if (!b.logged || now_ns - b.logged_ns >= limit_.log_period_ns) {
    a.log = true;
    a.refused_since_log = b.refused_unlogged;
    b.refused_unlogged = 0;
    b.logged = true;
    b.logged_ns = now_ns;
  }
  return a;
}

bool RateLimiter::evictIdle(int64_t now_ns) {
  if (lru_.empty()) return false;
  auto it = buckets_.find(lru_.front());
  const Bucket& b = it->second;
  if (b.full_at_ns > now_ns) return false;
  // A peer refused lately is kept until its log period ends, so pausing does not log it again.
  if (b.logged && now_ns - b.logged_ns < limit_.log_period_ns) return false;
  buckets_.erase(it);
  lru_.pop_front();
  return true;
}

Admission RateLimiter::admit(const std::string& peer, int64_t now_ns) {
  if (limit_.per_second <= 0) return Admission{};
  evictIdle(now_ns);  // one per call keeps the table from holding peers long gone
  auto it = buckets_.find(peer);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limit_.max_peers && !evictIdle(now_ns)) {
      Admission a = take(shared_, now_ns);
      a.shared = true;
      return a;
    }
    it = buckets_.emplace(peer, Bucket{}).first;
    it->second.full_at_ns = now_ns;
    it->second.lru = lru_.insert(lru_.end(), peer);
  } else {
    lru_.splice(lru_.end(), lru_, it->second.lru);
  }
  return take(it->second, now_ns);
}

}  // namespace spikeline::broker
