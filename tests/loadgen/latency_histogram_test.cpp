#include "loadgen/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "tests/support/status_matchers.h"

namespace spikeline::loadgen {
namespace {

// The exact order statistic of the rank the histogram uses.
int64_t exactPercentile(const std::vector<int64_t>& sorted, double p) {
  uint64_t rank = static_cast<uint64_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.5);
  rank = std::clamp<uint64_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

void expectWithinThreeDigits(const LatencyHistogram& h, std::vector<int64_t> values) {
  std::sort(values.begin(), values.end());
  for (double p : {0.0, 1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const int64_t exact = exactPercentile(values, p);
    const int64_t got = h.valueAtPercentile(p);
    EXPECT_GE(got, exact) << "p" << p;
    EXPECT_LE(static_cast<double>(got - exact), std::max(1.0, 1e-3 * static_cast<double>(exact)))
        << "p" << p << " exact " << exact << " got " << got;
  }
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.count(), values.size());
  double sum = 0;
  for (int64_t v : values) sum += static_cast<double>(v);
  const double mean = sum / static_cast<double>(values.size());
  EXPECT_NEAR(h.mean(), mean, 1e-3 * mean + 1);
}

template <typename Dist>
std::vector<int64_t> sample(Dist dist, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> out;
  for (size_t i = 0; i < n; ++i) {
    const double v = dist(rng);
    out.push_back(std::clamp<int64_t>(static_cast<int64_t>(v), 0, 3'600'000'000'000));
  }
  return out;
}

TEST(LatencyHistogramTest, PercentilesMatchSortedSamplesAcrossDistributions) {
  const std::vector<std::vector<int64_t>> cases = {
      sample(std::uniform_real_distribution<double>(0, 5e6), 100'000, 1),
      sample(std::exponential_distribution<double>(1.0 / 2e5), 100'000, 2),
      sample(std::lognormal_distribution<double>(13.0, 2.0), 100'000, 3),  // heavy tail
      sample(std::cauchy_distribution<double>(1e6, 1e5), 50'000, 4),       // very heavy
      sample(std::weibull_distribution<double>(0.3, 1e4), 50'000, 5),      // 1 ns .. minutes
  };
  for (const auto& values : cases) {
    LatencyHistogram h;
    for (int64_t v : values) h.record(v);
    expectWithinThreeDigits(h, values);
    EXPECT_EQ(h.saturatedCount(), 0u);
  }
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  const auto values = sample(std::lognormal_distribution<double>(12.0, 1.5), 30'000, 7);
  LatencyHistogram all, a, b, c;
  for (size_t i = 0; i < values.size(); ++i) {
    all.record(values[i]);
    (i % 3 == 0 ? a : i % 3 == 1 ? b : c).record(values[i]);
  }
  ASSERT_OK(a.merge(b));
  ASSERT_OK(a.merge(c));
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (double p = 0; p <= 100; p += 0.5)
    EXPECT_EQ(a.valueAtPercentile(p), all.valueAtPercentile(p));
}

TEST(LatencyHistogramTest, MergeRejectsDifferentOptions) {
  LatencyHistogram a;
  ASSERT_OK_AND_ASSIGN(LatencyHistogram b, LatencyHistogram::make({1, 1'000'000, 2}));
  b.record(5);
  EXPECT_STATUS_CODE(a.merge(b), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.count(), 0u);
}

TEST(LatencyHistogramTest, EmptyReportsZeros) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.valueAtPercentile(50), 0);
  EXPECT_EQ(h.valueAtPercentile(100), 0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(LatencyHistogramTest, OneValueIsEveryPercentile) {
  LatencyHistogram h;
  h.record(123'456'789);
  for (double p : {0.0, 50.0, 99.9, 100.0}) {
    EXPECT_EQ(h.valueAtPercentile(p), 123'456'789) << p;  // capped at the exact max
  }
  EXPECT_NEAR(h.mean(), 123'456'789.0, 123'456.789);
}

TEST(LatencyHistogramTest, ValuesAboveRangeClampAndCountAsSaturated) {
  ASSERT_OK_AND_ASSIGN(LatencyHistogram h, LatencyHistogram::make({1, 1'000'000, 3}));
  h.record(10);
  h.record(5'000'000);
  h.record(2'000'000'000);
  h.record(-7);
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(h.saturatedCount(), 2u);
  EXPECT_EQ(h.max(), 1'000'000);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.valueAtPercentile(100), 1'000'000);
}

TEST(LatencyHistogramTest, RejectsBadOptions) {
  EXPECT_STATUS_CODE(LatencyHistogram::make({0, 1000, 3}), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(LatencyHistogram::make({10, 15, 3}), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(LatencyHistogram::make({1, 1000, 0}), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(LatencyHistogram::make({1, 1000, 6}), StatusCode::kInvalidArgument);
}

TEST(LatencyHistogramTest, CoarserUnitStillWithinPrecision) {
  ASSERT_OK_AND_ASSIGN(LatencyHistogram h, LatencyHistogram::make({1000, 3'600'000'000'000, 3}));
  const auto values = sample(std::lognormal_distribution<double>(15.0, 1.0), 20'000, 9);
  for (int64_t v : values) h.record(v);
  std::vector<int64_t> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  for (double p : {50.0, 99.0, 99.9}) {
    const double exact = static_cast<double>(exactPercentile(sorted, p));
    EXPECT_NEAR(static_cast<double>(h.valueAtPercentile(p)), exact, 1e-3 * exact + 1000) << p;
  }
}

TEST(LatencyHistogramTest, RecordCorrectedFillsInTheSamplesAStalledSenderMissed) {
  LatencyHistogram h;
  h.recordCorrected(1'000'000, 100'000);  // one 1 ms response while sending every 100 us
  EXPECT_EQ(h.count(), 10u);              // 1000, 900, ..., 100 us
  EXPECT_EQ(h.min(), 100'000);
  EXPECT_EQ(h.max(), 1'000'000);
  LatencyHistogram plain;
  plain.recordCorrected(50'000, 100'000);  // below the interval: nothing added
  plain.recordCorrected(70'000, 0);        // disabled
  EXPECT_EQ(plain.count(), 2u);
}

TEST(LatencyHistogramTest, ResetForgetsEverything) {
  LatencyHistogram h;
  h.record(5);
  h.record(4'000'000'000'000);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.saturatedCount(), 0u);
  h.record(77);
  EXPECT_EQ(h.valueAtPercentile(50), 77);
}

}  // namespace
}  // namespace spikeline::loadgen
