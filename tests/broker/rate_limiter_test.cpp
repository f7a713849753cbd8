#include "broker/rate_limiter.h"

#include <gtest/gtest.h>

namespace spikeline::broker {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kS = 1'000'000'000;

RateLimit limit(double per_second, double burst, size_t max_peers = 4096) {
  RateLimit l;
  l.per_second = per_second;
  l.burst = burst;
  l.max_peers = max_peers;
  l.log_period_ns = 10 * kS;
  return l;
}

// Requests `peer` sends at `now` that are served, out of `n`.
int served(RateLimiter& r, const std::string& peer, int n, int64_t now) {
  int ok = 0;
  for (int i = 0; i < n; ++i) ok += r.admit(peer, now).allowed ? 1 : 0;
  return ok;
}

TEST(RateLimiterTest, ServesTheBurstThenTheRate) {
  RateLimiter r(limit(50, 100));
  EXPECT_EQ(served(r, "a", 150, kS), 100);
  // 50/s: one token every 20 ms.
  EXPECT_EQ(served(r, "a", 5, kS + 19 * kMs), 0);
  EXPECT_EQ(served(r, "a", 5, kS + 20 * kMs), 1);
  EXPECT_EQ(served(r, "a", 100, kS + 1020 * kMs), 50);
  // A long quiet spell refills to the burst, not beyond.
  EXPECT_EQ(served(r, "a", 500, 100 * kS), 100);
}

TEST(RateLimiterTest, RefusalSaysWhenToRetry) {
  RateLimiter r(limit(50, 2));
  EXPECT_TRUE(r.admit("a", kS).allowed);
  EXPECT_TRUE(r.admit("a", kS).allowed);
  Admission a = r.admit("a", kS);
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.retry_after_ns, 20 * kMs);
  a = r.admit("a", kS + 15 * kMs);
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.retry_after_ns, 5 * kMs);
  EXPECT_TRUE(r.admit("a", kS + 15 * kMs + a.retry_after_ns).allowed);
}

TEST(RateLimiterTest, PeersHaveTheirOwnBuckets) {
  RateLimiter r(limit(10, 5));
  EXPECT_EQ(served(r, "flood", 1000, kS), 5);
  EXPECT_EQ(served(r, "quiet", 5, kS), 5);
  EXPECT_EQ(r.trackedPeers(), 2u);
}

TEST(RateLimiterTest, LogsARefusedPeerOncePerPeriodWithTheCount) {
  RateLimiter r(limit(1, 1));
  EXPECT_TRUE(r.admit("a", kS).allowed);
  Admission first = r.admit("a", kS);
  EXPECT_TRUE(first.log);
  EXPECT_EQ(first.refused_since_log, 1u);
  int logged = 0;
  for (int i = 0; i < 99; ++i) logged += r.admit("a", kS + i * kMs).log ? 1 : 0;
  EXPECT_EQ(logged, 0);
  EXPECT_TRUE(r.admit("b", kS).allowed);  // another peer is not silenced by a's log line
  EXPECT_TRUE(r.admit("b", kS).log);
  // Refused all along (one token a second is taken at once): the next line after 10 s counts
  // what was refused since the first.
  uint64_t refused = 0;
  for (int64_t t = kS; t <= 12 * kS; t += 100 * kMs) {
    Admission a = r.admit("a", t);
    if (a.log) refused = a.refused_since_log;
  }
  EXPECT_GT(refused, 99u);
}

TEST(RateLimiterTest, IdleBucketsAreForgottenAndNewIdentitiesShareOneBucketWhenFull) {
  RateLimiter r(limit(10, 10, 3));
  for (const char* p : {"a", "b", "c"}) EXPECT_TRUE(r.admit(p, kS).allowed);
  // A flood of new identities while the three are busy: one shared bucket of 10.
  int ok = 0;
  for (int i = 0; i < 1000; ++i) {
    Admission a = r.admit("new-" + std::to_string(i), kS + kMs);
    EXPECT_TRUE(a.shared);
    ok += a.allowed ? 1 : 0;
  }
  EXPECT_EQ(ok, 10);
  EXPECT_EQ(r.trackedPeers(), 3u);
  // Once the table's oldest bucket is full again (idle 100 ms at 10/s), a new peer takes its
  // place.
  Admission later = r.admit("d", 2 * kS + 2 * kMs);
  EXPECT_TRUE(later.allowed);
  EXPECT_FALSE(later.shared);
  EXPECT_LE(r.trackedPeers(), 3u);
  // And every idle bucket goes, one per call.
  for (int i = 0; i < 3; ++i) r.admit("d", 10 * kS);
  EXPECT_EQ(r.trackedPeers(), 1u);
}

TEST(RateLimiterTest, AFloodingPeerCannotGetAFreshBucketByChurningIdentities) {
  RateLimiter r(limit(10, 10, 2));
  EXPECT_EQ(served(r, "flood", 100, kS), 10);
  EXPECT_TRUE(r.admit("x", kS + kMs).allowed);
  // Both kept buckets are busy: new identities share one bucket, the flooder's stays empty.
  EXPECT_TRUE(r.admit("y", kS + 2 * kMs).shared);
  EXPECT_EQ(served(r, "flood", 100, kS + 3 * kMs), 0);
  // 3 s later x, idle and never refused, gives way to a new identity; the flooder, quiet as
  // long but refused within its log period, is kept: the next new identity still shares, and
  // flooding again is not logged again within the period.
  EXPECT_FALSE(r.admit("z", 4 * kS).shared);
  EXPECT_TRUE(r.admit("v", 4 * kS).shared);
  EXPECT_EQ(r.trackedPeers(), 2u);
  EXPECT_EQ(served(r, "flood", 10, 4 * kS), 10);  // refilled at the rate, no more
  Admission again = r.admit("flood", 4 * kS);
  EXPECT_FALSE(again.allowed);
  EXPECT_FALSE(again.log);
}

TEST(RateLimiterTest, ZeroRateMeansNoLimit) {
  RateLimiter r(limit(0, 0));
  EXPECT_EQ(served(r, "a", 10000, kS), 10000);
  EXPECT_EQ(r.trackedPeers(), 0u);
}

}  // namespace
}  // namespace spikeline::broker
