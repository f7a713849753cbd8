// Hot-path metric cells (decision 0007): a counter, a gauge and a fixed-bucket histogram that the
// data plane updates with one relaxed atomic add each (no lock, no allocation, no syscall), read
// by the scrape thread and folded into a MetricsRegistry (setTotal / set / setHistogram). Values;
// not copyable (atomics). Thread safety: every method is safe from any thread; a snapshot taken
// while writers run may lag by the updates in flight (never torn, never decreasing).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace spikeline::metrics {

class Counter {
 public:
  void add(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t load() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void add(int64_t n) { v_.fetch_add(n, std::memory_order_relaxed); }
  void set(int64_t v) { v_.store(v, std::memory_order_relaxed); }
  int64_t load() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// Durations on hopBucketsSeconds() (10 µs .. 1 s), observed in nanoseconds.
class DurationHistogram {
 public:
  static constexpr size_t kBounds = 16;
  static constexpr std::array<int64_t, kBounds> kBoundsNs = {
      10'000,     25'000,     50'000,      100'000,     250'000,     500'000,
      1'000'000,  2'500'000,  5'000'000,   10'000'000,  25'000'000,  50'000'000,
      100'000'000, 250'000'000, 500'000'000, 1'000'000'000};

  // A negative duration (a clock step) counts as 0.
  void observeNs(int64_t ns) {
    if (ns < 0) ns = 0;
    size_t i = 0;
    while (i < kBounds && ns > kBoundsNs[i]) ++i;  // i == kBounds: above 1 s (only in +Inf)
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<uint64_t>(ns), std::memory_order_relaxed);
  }

  struct Snapshot {
    std::vector<uint64_t> buckets;  // per bound, not cumulative (MetricsRegistry::setHistogram)
    uint64_t count = 0;             // every observation, above 1 s included
    double sum_seconds = 0;
  };
  Snapshot snapshot() const {
    Snapshot s;
    s.buckets.resize(kBounds);
    for (size_t i = 0; i <= kBounds; ++i) {
      const uint64_t n = counts_[i].load(std::memory_order_relaxed);
      if (i < kBounds) s.buckets[i] = n;
      s.count += n;
    }
    s.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) * 1e-9;
    return s;
  }

 private:
  std::array<std::atomic<uint64_t>, kBounds + 1> counts_{};
  std::atomic<uint64_t> sum_ns_{0};
};

}  // namespace spikeline::metrics
