// Pacer: how the driver's sender thread waits for the next intended send time or for a
// completion. The real one sleeps then spins on a Clock; tests supply one that advances a
// FakeClock (virtual time). Owned by the caller, borrowed by the driver.
// Thread safety: waitUntil() from one thread; wake() from any thread.
#pragma once

#include <cstdint>
#include <memory>

#include "core/clock.h"

namespace spikeline::loadgen {

class Pacer {
 public:
  virtual ~Pacer() = default;
  // Returns once clock.monotonicNs() >= deadline_ns, or earlier after a wake(), or spuriously.
  virtual void waitUntil(int64_t deadline_ns) = 0;
  // Makes the current or next waitUntil() return promptly. Thread-safe, cheap when no one waits.
  virtual void wake() = 0;
};

// Sleeps on a condition variable until about 100 us before the deadline, then yields in a loop,
// so sends land within microseconds of their intended time. Borrows `clock`.
std::unique_ptr<Pacer> makeRealPacer(const Clock& clock);

}  // namespace spikeline::loadgen
