#include "transport/hop_liveness.h"

#include <gtest/gtest.h>

namespace spikeline::transport {
namespace {

constexpr int64_t kMs = 1'000'000;
const LivenessPolicy kPolicy{300 * kMs, 10 * kMs, 40 * kMs};

PeerSilence busyPeer(int64_t last_heard_ns) { return PeerSilence{last_heard_ns, -1, -1, true}; }

TEST(HopLivenessTest, IdleReplicaKeepsTheLongSilenceRule) {
  const PeerSilence idle{0, -1, -1, false};
  EXPECT_EQ(judgeLiveness(kPolicy, idle, 100 * kMs), LivenessVerdict::kAlive);  // no probe
  EXPECT_EQ(judgeLiveness(kPolicy, idle, 300 * kMs), LivenessVerdict::kAlive);
  EXPECT_EQ(judgeLiveness(kPolicy, idle, 301 * kMs), LivenessVerdict::kDown);
}

TEST(HopLivenessTest, BusyReplicaIsProbedOnlyWhenQuiet) {
  EXPECT_EQ(judgeLiveness(kPolicy, busyPeer(0), 9 * kMs), LivenessVerdict::kAlive);
  EXPECT_EQ(judgeLiveness(kPolicy, busyPeer(0), 10 * kMs), LivenessVerdict::kProbe);
}

TEST(HopLivenessTest, ProbesAreSpacedByTheInterval) {
  PeerSilence p = onProbed(busyPeer(0), 10 * kMs);
  EXPECT_EQ(judgeLiveness(kPolicy, p, 15 * kMs), LivenessVerdict::kAlive);
  EXPECT_EQ(judgeLiveness(kPolicy, p, 20 * kMs), LivenessVerdict::kProbe);
  p = onProbed(p, 20 * kMs);
  EXPECT_EQ(p.first_unanswered_probe_ns, 10 * kMs);  // the wait counts from the first probe
  EXPECT_EQ(p.last_probe_ns, 20 * kMs);
}

TEST(HopLivenessTest, BusyReplicaUnansweredForTheBusyTimeoutIsDown) {
  PeerSilence p = onProbed(busyPeer(0), 10 * kMs);
  EXPECT_NE(judgeLiveness(kPolicy, p, 50 * kMs), LivenessVerdict::kDown);
  EXPECT_EQ(judgeLiveness(kPolicy, p, 51 * kMs), LivenessVerdict::kDown);  // far below 300 ms
}

TEST(HopLivenessTest, AnAnswerClearsTheProbe) {
  PeerSilence p = onProbed(busyPeer(0), 10 * kMs);
  p = onHeardFrom(p, 45 * kMs);  // a slow replica answers late, but within the busy timeout
  EXPECT_EQ(p.first_unanswered_probe_ns, -1);
  EXPECT_EQ(judgeLiveness(kPolicy, p, 51 * kMs), LivenessVerdict::kAlive);
  EXPECT_EQ(judgeLiveness(kPolicy, p, 55 * kMs), LivenessVerdict::kProbe);
}

TEST(HopLivenessTest, ReplicaThatStopsHoldingFramesIsNotDroppedByAnOldProbe) {
  PeerSilence p = onProbed(busyPeer(0), 10 * kMs);
  p.busy = false;  // its frames were handed on meanwhile
  EXPECT_EQ(judgeLiveness(kPolicy, p, 100 * kMs), LivenessVerdict::kAlive);
}

TEST(HopLivenessTest, ZeroBusyTimeoutTurnsTheRuleOff) {
  LivenessPolicy off = kPolicy;
  off.busy_timeout_ns = 0;
  PeerSilence p = onProbed(busyPeer(0), 10 * kMs);
  EXPECT_EQ(judgeLiveness(off, p, 20 * kMs), LivenessVerdict::kAlive);  // no probe
  EXPECT_EQ(judgeLiveness(off, p, 200 * kMs), LivenessVerdict::kAlive);
  EXPECT_EQ(judgeLiveness(off, p, 301 * kMs), LivenessVerdict::kDown);
}

}  // namespace
}  // namespace spikeline::transport
