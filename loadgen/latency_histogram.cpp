#include "loadgen/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <string>

namespace spikeline::loadgen {
namespace {

int floorLog2(int64_t v) { return 63 - std::countl_zero(static_cast<uint64_t>(v)); }

Status validate(const HistogramOptions& o) {
  if (o.lowest_discernible_ns < 1) {
    return invalidArgument("histogram: lowest_discernible_ns must be >= 1");
  }
  if (o.highest_trackable_ns < 2 * o.lowest_discernible_ns) {
    return invalidArgument("histogram: highest_trackable_ns must be >= 2 * lowest_discernible_ns");
  }
  if (o.significant_digits < 1 || o.significant_digits > 5) {
    return invalidArgument("histogram: significant_digits must be 1..5, got " +
                           std::to_string(o.significant_digits));
  }
  return Status::ok();
}

}  // namespace

Result<LatencyHistogram> LatencyHistogram::make(const HistogramOptions& options) {
  SPIKELINE_RETURN_IF_ERROR(validate(options));
  return LatencyHistogram(options);
}

LatencyHistogram::LatencyHistogram() : LatencyHistogram(HistogramOptions{}) {}

LatencyHistogram::LatencyHistogram(const HistogramOptions& options) : options_(options) {
  int64_t largest_single_unit = 2;
  for (int i = 0; i < options.significant_digits; ++i) largest_single_unit *= 10;
  const int sub_bucket_count_magnitude =
      static_cast<int>(std::ceil(std::log2(static_cast<double>(largest_single_unit))));
  sub_bucket_half_count_magnitude_ = std::max(sub_bucket_count_magnitude, 1) - 1;
  unit_magnitude_ = floorLog2(options.lowest_discernible_ns);
  sub_bucket_count_ = int64_t{1} << (sub_bucket_half_count_magnitude_ + 1);
  sub_bucket_half_count_ = sub_bucket_count_ / 2;
  sub_bucket_mask_ = (sub_bucket_count_ - 1) << unit_magnitude_;

  int64_t smallest_untrackable = sub_bucket_count_ << unit_magnitude_;
  int buckets_needed = 1;
  while (smallest_untrackable <= options.highest_trackable_ns) {
    if (smallest_untrackable > std::numeric_limits<int64_t>::max() / 2) {
      ++buckets_needed;
      break;
    }
    smallest_untrackable <<= 1;
    ++buckets_needed;
  }
  counts_.assign(static_cast<size_t>(buckets_needed + 1) * sub_bucket_half_count_, 0);
}

int LatencyHistogram::bucketIndex(int64_t value) const {
  const int pow2_ceiling = 64 - std::countl_zero(static_cast<uint64_t>(value | sub_bucket_mask_));
  return pow2_ceiling - unit_magnitude_ - (sub_bucket_half_count_magnitude_ + 1);
}

size_t LatencyHistogram::countsIndex(int64_t value) const {
  const int bucket = bucketIndex(value);
  const int64_t sub_bucket = value >> (bucket + unit_magnitude_);
  const int64_t base = static_cast<int64_t>(bucket + 1) << sub_bucket_half_count_magnitude_;
  return static_cast<size_t>(base + (sub_bucket - sub_bucket_half_count_));
}

int64_t LatencyHistogram::valueFromIndex(size_t index) const {
  int bucket = static_cast<int>(index >> sub_bucket_half_count_magnitude_) - 1;
  int64_t sub_bucket =
      static_cast<int64_t>(index & static_cast<size_t>(sub_bucket_half_count_ - 1)) +
      sub_bucket_half_count_;
  if (bucket < 0) {
    sub_bucket -= sub_bucket_half_count_;
    bucket = 0;
  }
  return sub_bucket << (bucket + unit_magnitude_);
}

int64_t LatencyHistogram::lowestEquivalent(int64_t value) const {
  const int bucket = bucketIndex(value);
  const int64_t sub_bucket = value >> (bucket + unit_magnitude_);
  return sub_bucket << (bucket + unit_magnitude_);
}

int64_t LatencyHistogram::highestEquivalent(int64_t value) const {
  const int bucket = bucketIndex(value);
  const int64_t sub_bucket = value >> (bucket + unit_magnitude_);
  const int adjusted = sub_bucket >= sub_bucket_count_ ? bucket + 1 : bucket;
  const int64_t range = int64_t{1} << (unit_magnitude_ + adjusted);
  return lowestEquivalent(value) + range - 1;
}

void LatencyHistogram::recordN(int64_t value_ns, uint64_t count) {
  if (count == 0) return;
  int64_t v = std::max<int64_t>(value_ns, 0);
  if (v > options_.highest_trackable_ns) {
    v = options_.highest_trackable_ns;
    saturated_count_ += count;
  }
  counts_[countsIndex(v)] += count;
  if (total_count_ == 0) {
    min_ = v;
    max_ = v;
  } else {
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }
  total_count_ += count;
}

void LatencyHistogram::recordCorrected(int64_t value_ns, int64_t expected_interval_ns) {
  record(value_ns);
  if (expected_interval_ns <= 0) return;
  const int64_t top = std::min(value_ns, options_.highest_trackable_ns);
  for (int64_t missing = top - expected_interval_ns; missing >= expected_interval_ns;
       missing -= expected_interval_ns) {
    record(missing);
  }
}

Status LatencyHistogram::merge(const LatencyHistogram& other) {
  if (!(other.options_ == options_)) {
    return invalidArgument("histogram: cannot merge histograms with different options");
  }
  if (other.total_count_ == 0) return Status::ok();
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  if (total_count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  total_count_ += other.total_count_;
  saturated_count_ += other.saturated_count_;
  return Status::ok();
}

void LatencyHistogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_count_ = 0;
  saturated_count_ = 0;
  min_ = 0;
  max_ = 0;
}

double LatencyHistogram::mean() const {
  if (total_count_ == 0) return 0.0;
  double sum = 0.0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    const int64_t low = valueFromIndex(i);
    const int64_t median = low + (highestEquivalent(low) - low + 1) / 2;
    sum += static_cast<double>(counts_[i]) * static_cast<double>(median);
  }
  return std::clamp(sum / static_cast<double>(total_count_), static_cast<double>(min_),
                    static_cast<double>(max_));
}

int64_t LatencyHistogram::valueAtPercentile(double percentile) const {
  if (total_count_ == 0) return 0;
  const double p = std::clamp(percentile, 0.0, 100.0);
  uint64_t rank = static_cast<uint64_t>(p / 100.0 * static_cast<double>(total_count_) + 0.5);
  rank = std::clamp<uint64_t>(rank, 1, total_count_);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    cumulative += counts_[i];
    if (cumulative >= rank) return std::min(highestEquivalent(valueFromIndex(i)), max_);
  }
  return max_;
}

}  // namespace spikeline::loadgen
