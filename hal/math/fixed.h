// Fixed-point primitives of decision 0001 (docs/decisions/0001-fixed-point-arithmetic.md):
// floor shifts, rescaling between power-of-two scales, saturation, floor division, and the one
// float -> activation conversion. Header-only, host and device; no state, safe from any thread.
#pragma once

#include <math.h>
#include <stdint.h>

#include "hal/math/hd.h"

namespace spikeline::hal::math {

// Decay/gain bits of the LIF update (decision 0001 item 6).
inline constexpr int kDecayBits = 16;
// Signed 24-bit membrane range (decision 0001 item 6).
inline constexpr int32_t kV24Min = -(int32_t{1} << 23);
inline constexpr int32_t kV24Max = (int32_t{1} << 23) - 1;

// x / 2^s rounded toward negative infinity (arithmetic shift). REQUIRES: 0 <= s < 63.
SPIKELINE_HD inline int64_t floorShift(int64_t x, int s) { return x >> s; }

// Re-expresses x, in units of 2^-from_bits, in units of 2^-to_bits: floor shift when the scale
// gets coarser, exact left shift otherwise. REQUIRES: |from_bits - to_bits| < 63 and no overflow
// on the left shift (callers bound |x| at compile time).
SPIKELINE_HD inline int64_t rescale(int64_t x, int from_bits, int to_bits) {
  if (from_bits >= to_bits) return floorShift(x, from_bits - to_bits);
  return static_cast<int64_t>(static_cast<uint64_t>(x) << (to_bits - from_bits));
}

// Saturates to the signed 24-bit membrane range [-2^23, 2^23 - 1].
SPIKELINE_HD inline int32_t sat24(int64_t x) {
  return x < kV24Min ? kV24Min : (x > kV24Max ? kV24Max : static_cast<int32_t>(x));
}

// Saturates to int32.
SPIKELINE_HD inline int32_t sat32(int64_t x) {
  return x < INT32_MIN ? INT32_MIN : (x > INT32_MAX ? INT32_MAX : static_cast<int32_t>(x));
}

// floor(a / b) for b > 0 (the `/` operator truncates toward zero on negatives). REQUIRES: b > 0.
SPIKELINE_HD inline int64_t floorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// Rounds half away from zero, exactly (no x + 0.5 double-rounding trap).
SPIKELINE_HD inline double roundHalfAway(double x) {
  const double t = trunc(x);
  return fabs(x - t) >= 0.5 ? t + (x < 0 ? -1.0 : 1.0) : t;
}

// A real value as an int32 activation in units of 2^-frac_bits: round half away from zero, then
// saturate; NaN maps to 0. This is the only float -> int conversion of the data path (encoders
// in fixed mode given float input); x * 2^F is exact, so every backend gets the same integer.
SPIKELINE_HD inline int32_t toActivation(double x, int frac_bits) {
  if (!(x == x)) return 0;
  const double scaled = roundHalfAway(ldexp(x, frac_bits));
  if (scaled <= -2147483648.0) return INT32_MIN;
  if (scaled >= 2147483647.0) return INT32_MAX;
  return static_cast<int32_t>(scaled);
}

// An exact integer sum of products (weights at 2^-weight_shift times inputs at 2^-in_bits) as an
// activation at 2^-frac_bits plus a bias already at 2^-frac_bits, saturated to int32 last
// (decision 0001 item 4). in_bits is 0 for spike inputs (a spike counts 1) and frac_bits for
// dense inputs.
SPIKELINE_HD inline int32_t accToActivation(int64_t acc, int weight_shift, int in_bits,
                                            int frac_bits, int32_t bias_q) {
  return sat32(rescale(acc, weight_shift + in_bits, frac_bits) + bias_q);
}

// A spike as an activation (the value 1.0 at 2^-frac_bits).
SPIKELINE_HD inline int32_t spikeActivation(int frac_bits) { return int32_t{1} << frac_bits; }

}  // namespace spikeline::hal::math
