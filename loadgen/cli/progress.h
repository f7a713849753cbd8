// Progress: a Target decorator that counts sent requests and replies, and a reporter thread that
// prints one "\r"-updated progress line a second to a terminal. Owns the reporter thread;
// borrows the wrapped Target. Thread safety: counters are atomics; submit() as Target says.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "loadgen/target.h"

namespace spikeline::loadgen::cli {

struct ProgressCounters {
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> replies{0};
  std::atomic<uint64_t> errors{0};
};

// Forwards to `inner`; counts into `counters` (both borrowed).
std::unique_ptr<Target> makeCountingTarget(Target& inner, ProgressCounters& counters);

// Prints "[label] 3s sent 3000 replies 2990 errors 0" on stdout every second until destroyed,
// then ends the line. Does nothing when `enabled` is false.
class ProgressLine {
 public:
  ProgressLine(const ProgressCounters& counters, std::string label, bool enabled);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace spikeline::loadgen::cli
