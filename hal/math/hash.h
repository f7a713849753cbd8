// Counter-based randomness (decision 0001 item 8): hash32(seed, request_id, t, neuron) and the
// rate-encoder decision. No stream state, so every backend and thread order gives the same spikes.
// Header-only, host and device; pure functions, safe from any thread.
#pragma once

#include <stdint.h>

#include "hal/math/fixed.h"
#include "hal/math/hd.h"

namespace spikeline::hal::math {

// SplitMix64's output function applied to z + golden gamma.
SPIKELINE_HD inline uint64_t splitMix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// h = splitMix64(splitMix64(splitMix64(seed) ^ request_id) ^ (t << 32 | neuron)); the high 32 bits.
SPIKELINE_HD inline uint32_t hash32(uint64_t seed, uint64_t request_id, uint32_t t,
                                    uint32_t neuron) {
  uint64_t h = splitMix64(seed);
  h = splitMix64(h ^ request_id);
  h = splitMix64(h ^ ((uint64_t{t} << 32) | neuron));
  return static_cast<uint32_t>(h >> 32);
}

// floor(clamp(p, 0, 1) * 2^32) for a real probability (float mode); NaN counts as 0.
SPIKELINE_HD inline uint64_t rateThresholdFloat(double p) {
  if (!(p > 0.0)) return 0;
  if (p >= 1.0) return uint64_t{1} << 32;
  return static_cast<uint64_t>(floor(ldexp(p, 32)));
}

// Fixed mode: p = x_q * 2^-F * gain_q * 2^-16, as a threshold at 2^-32, clamped to [0, 2^32].
// REQUIRES: frac_bits <= 30.
SPIKELINE_HD inline uint64_t rateThresholdFixed(int32_t x_q, int32_t gain_q, int frac_bits) {
  const int64_t p = rescale(int64_t{x_q} * gain_q, frac_bits + kDecayBits, 32);
  if (p <= 0) return 0;
  const int64_t one = int64_t{1} << 32;
  return static_cast<uint64_t>(p >= one ? one : p);
}

// The rate encoder's decision: spike iff u < threshold (threshold 2^32 always spikes).
SPIKELINE_HD inline bool rateSpike(uint64_t seed, uint64_t request_id, uint32_t t, uint32_t neuron,
                                   uint64_t threshold) {
  return uint64_t{hash32(seed, request_id, t, neuron)} < threshold;
}

}  // namespace spikeline::hal::math
