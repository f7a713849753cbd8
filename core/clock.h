// Clock: the source of time for every decision that depends on it (deadlines, heartbeats,
// timeouts), so tests can use a fake. The system clock is stateless; a Clock is borrowed (T&)
// by its users and owned by main(). Thread safety: implementations must be thread-safe.
#pragma once

#include <cstdint>
#include <memory>

namespace spikeline {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic nanoseconds since an arbitrary epoch (for intervals, deadlines within a process).
  virtual int64_t monotonicNs() const = 0;
  // Nanoseconds since the Unix epoch (for deadlines and timestamps that cross processes).
  virtual int64_t wallNs() const = 0;
};

// std::chrono::steady_clock and system_clock.
std::unique_ptr<Clock> makeSystemClock();

}  // namespace spikeline
