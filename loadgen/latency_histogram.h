// LatencyHistogram: an HdrHistogram-style log-linear histogram of non-negative integer values
// (nanoseconds), fixed memory after construction, O(1) record, mergeable across threads.
// Owns its counts. Thread safety: none; use one per thread and merge() them on one thread.
#pragma once

#include <cstdint>
#include <vector>

#include "core/result.h"

namespace spikeline::loadgen {

struct HistogramOptions {
  int64_t lowest_discernible_ns = 1;                 // Default: 1 ns. REQUIRES: >= 1.
  int64_t highest_trackable_ns = 3'600'000'000'000;  // Default: 1 hour. REQUIRES: >= 2 * lowest.
  int significant_digits = 3;                        // Default: 3. REQUIRES: 1..5.
  friend bool operator==(const HistogramOptions&, const HistogramOptions&) = default;
};

class LatencyHistogram {
 public:
  // Validates the options (kInvalidArgument on a bad range or precision).
  static Result<LatencyHistogram> make(const HistogramOptions& options);
  // 1 ns .. 1 hour at 3 significant digits (about 270 KiB).
  LatencyHistogram();

  // Values above highestTrackable() are recorded as highestTrackable() and counted in
  // saturatedCount(); negative values are recorded as 0.
  void record(int64_t value_ns) { recordN(value_ns, 1); }
  void recordN(int64_t value_ns, uint64_t count);
  // Coordinated-omission correction (as HdrHistogram's recordCorrectedValue): also records the
  // values value - k*interval (k >= 1) that a sender blocked for `value_ns` failed to issue.
  // expected_interval_ns <= 0 disables the correction.
  void recordCorrected(int64_t value_ns, int64_t expected_interval_ns);

  // kInvalidArgument when the options differ (no count is changed then).
  Status merge(const LatencyHistogram& other);
  void reset();

  uint64_t count() const { return total_count_; }
  uint64_t saturatedCount() const { return saturated_count_; }
  // Exact smallest/largest recorded value (after clamping); 0 when empty.
  int64_t min() const { return total_count_ == 0 ? 0 : min_; }
  int64_t max() const { return total_count_ == 0 ? 0 : max_; }
  // Mean of the recorded values at bucket resolution; 0 when empty.
  double mean() const;
  // The value at `percentile` (0..100): the highest value equivalent to the recorded value of
  // rank max(1, round(percentile/100 * count)) (capped at max()), so it lies within the stated
  // precision of that exact order statistic. 0 when empty.
  int64_t valueAtPercentile(double percentile) const;

  int64_t highestTrackable() const { return options_.highest_trackable_ns; }
  const HistogramOptions& options() const { return options_; }
  // The largest and smallest values that share `value`'s bucket.
  int64_t highestEquivalent(int64_t value) const;
  int64_t lowestEquivalent(int64_t value) const;

 private:
  explicit LatencyHistogram(const HistogramOptions& options);
  size_t countsIndex(int64_t value) const;
  int64_t valueFromIndex(size_t index) const;
  int bucketIndex(int64_t value) const;

  HistogramOptions options_;
  int unit_magnitude_ = 0;
  int sub_bucket_half_count_magnitude_ = 0;
  int64_t sub_bucket_count_ = 0;
  int64_t sub_bucket_half_count_ = 0;
  int64_t sub_bucket_mask_ = 0;
  std::vector<uint64_t> counts_;
  uint64_t total_count_ = 0;
  uint64_t saturated_count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
};

}  // namespace spikeline::loadgen
