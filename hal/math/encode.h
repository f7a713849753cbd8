// Latency-encoder decisions, float32 and fixed (the rate encoder is in hash.h).
// encode_latency: one spike at t = floor((1 - clamp(x, 0, 1)) * (T - 1)) when x > threshold.
// Header-only, host and device; pure functions, safe from any thread.
#pragma once

#include <math.h>
#include <stdint.h>

#include "hal/math/fixed.h"
#include "hal/math/hd.h"

namespace spikeline::hal::math {

// The step at which x fires, or -1 when it does not (x <= threshold or NaN). REQUIRES: T >= 1.
SPIKELINE_HD inline int64_t latencyStepFloat(float x, double threshold, uint32_t timesteps) {
  const double xd = static_cast<double>(x);
  if (!(xd > threshold)) return -1;
  const double c = xd < 0.0 ? 0.0 : (xd > 1.0 ? 1.0 : xd);
  return static_cast<int64_t>(floor((1.0 - c) * static_cast<double>(timesteps - 1)));
}

// Fixed: x_q and threshold_q at 2^-F; t = floorShift((2^F - clamp(x_q, 0, 2^F)) * (T - 1), F).
SPIKELINE_HD inline int64_t latencyStepFixed(int32_t x_q, int32_t threshold_q, uint32_t timesteps,
                                             int frac_bits) {
  if (!(x_q > threshold_q)) return -1;
  const int64_t one = int64_t{1} << frac_bits;
  const int64_t c = x_q < 0 ? 0 : (x_q > one ? one : int64_t{x_q});
  return floorShift((one - c) * static_cast<int64_t>(timesteps - 1), frac_bits);
}

}  // namespace spikeline::hal::math
