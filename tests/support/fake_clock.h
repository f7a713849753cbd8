// FakeClock: a Clock whose time moves only when a test advances it. Owned by the test.
// Thread safety: reads and advances are atomic.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/clock.h"

namespace spikeline::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ns = 1'000'000'000) : now_ns_(start_ns) {}
  int64_t monotonicNs() const override { return now_ns_.load(); }
  int64_t wallNs() const override { return now_ns_.load(); }
  void advanceNs(int64_t delta_ns) { now_ns_.fetch_add(delta_ns); }

 private:
  std::atomic<int64_t> now_ns_;
};

}  // namespace spikeline::testing
