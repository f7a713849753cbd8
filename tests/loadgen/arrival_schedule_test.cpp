#include "loadgen/arrival_schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/support/status_matchers.h"

namespace spikeline::loadgen {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

TEST(ArrivalScheduleTest, ConstantRateIsEvenlySpaced) {
  ASSERT_OK_AND_ASSIGN(auto arrivals, allArrivals({{Phase::steady(kSecond, 1000)}}));
  ASSERT_EQ(arrivals.size(), 1000u);
  for (size_t i = 0; i < arrivals.size(); ++i) {
    EXPECT_EQ(arrivals[i].index, i);
    EXPECT_EQ(arrivals[i].offset_ns, static_cast<int64_t>(i) * 1'000'000);
    EXPECT_TRUE(arrivals[i].measured);
  }
}

TEST(ArrivalScheduleTest, PoissonHitsTheRateWithExponentialGaps) {
  ScheduleSpec spec{{Phase::steady(100 * kSecond, 2000)}, ArrivalProcess::kPoisson, 42};
  ASSERT_OK_AND_ASSIGN(auto arrivals, allArrivals(spec));
  const double n = static_cast<double>(arrivals.size());
  EXPECT_NEAR(n, 200'000, 5 * std::sqrt(200'000.0));
  double sum = 0, sum_sq = 0;
  for (size_t i = 1; i < arrivals.size(); ++i) {
    ASSERT_GE(arrivals[i].offset_ns, arrivals[i - 1].offset_ns);
    const double gap = static_cast<double>(arrivals[i].offset_ns - arrivals[i - 1].offset_ns);
    sum += gap;
    sum_sq += gap * gap;
  }
  const double mean = sum / (n - 1);
  const double cv = std::sqrt(sum_sq / (n - 1) - mean * mean) / mean;
  EXPECT_NEAR(mean, 500'000, 5'000);
  EXPECT_NEAR(cv, 1.0, 0.02);  // exponential gaps: standard deviation equals the mean
}

TEST(ArrivalScheduleTest, SameSeedSameTimesOtherSeedOtherTimes) {
  ScheduleSpec spec{{Phase::steady(kSecond, 500)}, ArrivalProcess::kPoisson, 7};
  ASSERT_OK_AND_ASSIGN(auto a, allArrivals(spec));
  ASSERT_OK_AND_ASSIGN(auto b, allArrivals(spec));
  spec.seed = 8;
  ASSERT_OK_AND_ASSIGN(auto c, allArrivals(spec));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(ArrivalScheduleTest, LinearRampSendsTheIntegralAndSpeedsUp) {
  // 0 -> 2000/s over 2 s: 2000 requests, 500 in the first second, 1500 in the second.
  ASSERT_OK_AND_ASSIGN(auto arrivals, allArrivals({{Phase::ramp(2 * kSecond, 0, 2000)}}));
  EXPECT_NEAR(static_cast<double>(arrivals.size()), 2000, 1);
  size_t first_second = 0;
  for (const Arrival& a : arrivals) first_second += a.offset_ns < kSecond ? 1 : 0;
  EXPECT_NEAR(static_cast<double>(first_second), 500, 1);
  // A falling ramp mirrors it.
  ASSERT_OK_AND_ASSIGN(auto down, allArrivals({{Phase::ramp(2 * kSecond, 2000, 0)}}));
  size_t down_first = 0;
  for (const Arrival& a : down) down_first += a.offset_ns < kSecond ? 1 : 0;
  EXPECT_NEAR(static_cast<double>(down_first), 1500, 1);
}

TEST(ArrivalScheduleTest, PhasesFollowEachOtherAndWarmupIsNotMeasured) {
  ScheduleSpec spec{
      {Phase::warmup(kSecond, 100), Phase::ramp(kSecond, 100, 300), Phase::steady(kSecond, 300)}};
  ASSERT_OK_AND_ASSIGN(ArrivalSchedule schedule, ArrivalSchedule::make(spec));
  EXPECT_EQ(schedule.totalDurationNs(), 3 * kSecond);
  EXPECT_EQ(schedule.phaseStartNs(2), 2 * kSecond);
  std::vector<size_t> per_phase(3, 0);
  size_t unmeasured = 0;
  while (auto a = schedule.next()) {
    per_phase[a->phase]++;
    EXPECT_GE(a->offset_ns, schedule.phaseStartNs(a->phase));
    EXPECT_LT(a->offset_ns, schedule.phaseStartNs(a->phase + 1));
    unmeasured += a->measured ? 0 : 1;
  }
  EXPECT_EQ(per_phase[0], 100u);
  EXPECT_NEAR(static_cast<double>(per_phase[1]), 200, 1);
  EXPECT_EQ(per_phase[2], 300u);
  EXPECT_EQ(unmeasured, 100u);
}

TEST(ArrivalScheduleTest, ZeroRatePhaseSendsNothing) {
  ASSERT_OK_AND_ASSIGN(auto arrivals,
                       allArrivals({{Phase::steady(kSecond, 0), Phase::steady(kSecond, 10)}}));
  ASSERT_EQ(arrivals.size(), 10u);
  EXPECT_EQ(arrivals.front().offset_ns, kSecond);
}

TEST(ArrivalScheduleTest, RejectsInvalidSpecs) {
  EXPECT_STATUS_CODE(ArrivalSchedule::make({}), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(ArrivalSchedule::make({{Phase::steady(0, 10)}}), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(ArrivalSchedule::make({{Phase::steady(kSecond, -1)}}),
                     StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(ArrivalSchedule::make({{Phase::steady(kSecond, std::nan(""))}}),
                     StatusCode::kInvalidArgument);
  Phase bent = Phase::steady(kSecond, 10);
  bent.end_rate_per_s = 20;
  EXPECT_STATUS_CODE(ArrivalSchedule::make({{bent}}), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spikeline::loadgen
