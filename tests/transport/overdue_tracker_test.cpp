#include "transport/overdue_tracker.h"

#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"

namespace spikeline::transport {
namespace {

constexpr int64_t kMs = 1'000'000;

OverdueOptions options() { return OverdueOptions{100 * kMs, 3, 4}; }

TEST(OverdueTrackerTest, ExactlyOneOutcomeIsDelivered) {
  testing::FakeClock clock;
  OverdueTracker tracker(clock, options());
  ASSERT_OK(tracker.track(1));
  EXPECT_TRUE(tracker.complete(1));
  EXPECT_FALSE(tracker.complete(1));  // a duplicate result
  EXPECT_FALSE(tracker.complete(2));  // never tracked
}

TEST(OverdueTrackerTest, OverdueRequestIsResentThenFails) {
  testing::FakeClock clock;
  OverdueTracker tracker(clock, options());
  ASSERT_OK(tracker.track(1));
  clock.advanceNs(99 * kMs);
  EXPECT_TRUE(tracker.overdue().empty());
  clock.advanceNs(1 * kMs);
  std::vector<OverdueAction> a = tracker.overdue();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, OverdueAction::Kind::kResend);
  EXPECT_EQ(a[0].attempt, 2u);
  clock.advanceNs(100 * kMs);
  a = tracker.overdue();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].attempt, 3u);
  clock.advanceNs(100 * kMs);
  a = tracker.overdue();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, OverdueAction::Kind::kFail);
  EXPECT_STATUS_CODE(a[0].error, StatusCode::kUnavailable);
  EXPECT_FALSE(tracker.isTracked(1));
}

TEST(OverdueTrackerTest, DeadlineFailsWithDeadlineExceeded) {
  testing::FakeClock clock;
  OverdueTracker tracker(clock, options());
  ASSERT_OK(tracker.track(1, clock.monotonicNs() + 50 * kMs));
  clock.advanceNs(51 * kMs);
  std::vector<OverdueAction> a = tracker.overdue();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, OverdueAction::Kind::kFail);
  EXPECT_STATUS_CODE(a[0].error, StatusCode::kDeadlineExceeded);
  EXPECT_EQ(tracker.size(), 0u);
}

TEST(OverdueTrackerTest, OutstandingIsBounded) {
  testing::FakeClock clock;
  OverdueTracker tracker(clock, options());
  for (RequestId id = 1; id <= 4; ++id) ASSERT_OK(tracker.track(id));
  EXPECT_STATUS_CODE(tracker.track(5), StatusCode::kOverloaded);
  EXPECT_STATUS_CODE(tracker.track(1), StatusCode::kAlreadyExists);
  EXPECT_TRUE(tracker.complete(1));
  EXPECT_OK(tracker.track(5));
}

}  // namespace
}  // namespace spikeline::transport
