#include "broker/health_tracker.h"

#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"

namespace spikeline::broker {
namespace {

constexpr int64_t kMs = 1'000'000;

TEST(HealthTrackerTest, DownAfterLivenessMissedBeats) {
  spikeline::testing::FakeClock clock;
  HealthTracker t(clock, {200 * kMs, 3});
  t.markRegistered(WorkerId{"w"});
  clock.advanceNs(590 * kMs);
  EXPECT_TRUE(t.sweep().empty());
  EXPECT_EQ(t.nsUntilNextDeadline(), 10 * kMs);
  clock.advanceNs(10 * kMs);
  auto down = t.sweep();
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].subject, "w");
  EXPECT_FALSE(t.snapshot().isUp(WorkerId{"w"}));
  EXPECT_TRUE(t.sweep().empty());  // reported once
}

TEST(HealthTrackerTest, HeartbeatsKeepWorkerUp) {
  spikeline::testing::FakeClock clock;
  HealthTracker t(clock, {200 * kMs, 3});
  t.markRegistered(WorkerId{"w"});
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    clock.advanceNs(200 * kMs);
    ASSERT_OK(t.observeHeartbeat(WorkerId{"w"}, seq));
    EXPECT_TRUE(t.sweep().empty());
  }
}

TEST(HealthTrackerTest, FaultIsImmediateAndSticky) {
  spikeline::testing::FakeClock clock;
  HealthTracker t(clock, {});
  t.markRegistered(WorkerId{"w"});
  ASSERT_OK(t.reportFault(WorkerId{"w"}, "chip core 3"));
  EXPECT_FALSE(t.snapshot().isUp(WorkerId{"w"}));
  ASSERT_OK(t.observeHeartbeat(WorkerId{"w"}, 1));
  EXPECT_FALSE(t.snapshot().isUp(WorkerId{"w"}));
  t.markRegistered(WorkerId{"w"});
  EXPECT_TRUE(t.snapshot().isUp(WorkerId{"w"}));
}

TEST(HealthTrackerTest, RejectsUnknownWorkersAndStaleSequence) {
  spikeline::testing::FakeClock clock;
  HealthTracker t(clock, {});
  EXPECT_STATUS_CODE(t.observeHeartbeat(WorkerId{"ghost"}, 1), StatusCode::kNotFound);
  EXPECT_STATUS_CODE(t.reportFault(WorkerId{"ghost"}, "x"), StatusCode::kNotFound);
  t.markRegistered(WorkerId{"w"});
  ASSERT_OK(t.observeHeartbeat(WorkerId{"w"}, 5));
  EXPECT_STATUS_CODE(t.observeHeartbeat(WorkerId{"w"}, 5), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(t.observeHeartbeat(WorkerId{"w"}, 4), StatusCode::kInvalidArgument);
}

TEST(HealthTrackerTest, MissedBeatsRecoverOnNextHeartbeat) {
  spikeline::testing::FakeClock clock;
  HealthTracker t(clock, {100 * kMs, 3});
  t.markRegistered(WorkerId{"w"});
  clock.advanceNs(400 * kMs);
  ASSERT_EQ(t.sweep().size(), 1u);
  ASSERT_OK(t.observeHeartbeat(WorkerId{"w"}, 1));
  EXPECT_TRUE(t.snapshot().isUp(WorkerId{"w"}));
}

}  // namespace
}  // namespace spikeline::broker
