// The CPU reference backend: every catalog operator in float32 and fixed precision, the
// definition other backends are checked against (tests/hal/conformance_test.cpp).
// makeCpuBackend returns an owned Backend; CompiledOperators it makes must not outlive it.
// Thread safety: compile() and run() are safe concurrently (compiled operators are immutable).
#pragma once

#include <cstdint>
#include <memory>

#include "core/result.h"
#include "hal/backend.h"

namespace spikeline::hal {

struct CpuOptions {
  // Frames run at once (BackendInfo::capacity): the worker calls run() from this many threads;
  // one frame runs on one thread. Default: 1. REQUIRES: >= 1.
  uint32_t threads = 1;
  // linear/conv2d with spike input take the event-driven path for a timestep whose spike density
  // is below a crossover, the dense path otherwise. Negative (default): the crossovers measured
  // by hal_bench (hal/cpu/README.md): 0.6 for float32 linear; fixed linear and conv2d beat
  // their dense paths at every measured density, so they always go event-driven. 0 forces the
  // dense path, > 1 the event-driven one (tests use both).
  double event_crossover = -1.0;
};

// kInvalidArgument when options are out of range.
Result<std::unique_ptr<Backend>> makeCpuBackend(const CpuOptions& options);

}  // namespace spikeline::hal
