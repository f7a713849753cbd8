// Compile-time quantisation for fixed precision (decision 0001 items 1-3, 6): the ONE host
// function set every backend (cpu, cuda, chip) calls when it compiles an operator, so all of them
// receive the same integers. Pure functions over values; safe from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace spikeline::hal {

// Largest weight shift s (weights are w_q * 2^-s).
inline constexpr int kMaxWeightShift = 24;

// int8 weights with one power-of-two scale: w ~= values[i] * 2^-shift.
struct QuantizedWeights {
  std::vector<int8_t> values;
  int shift = 0;
  friend bool operator==(const QuantizedWeights&, const QuantizedWeights&) = default;
};

// s = the largest integer in [0, 24] with max|w| * 2^s <= 127 (0 when all weights are zero);
// w_q = round_half_away(w * 2^s) clamped to [-127, 127]. REQUIRES: all values finite.
int weightShift(std::span<const float> weights);
QuantizedWeights quantizeWeights(std::span<const float> weights);
// Quantises with a given shift (several tensors sharing one scale). REQUIRES: finite values.
QuantizedWeights quantizeWeightsWithShift(std::span<const float> weights, int shift);

// A threshold, leak, reset, bias or input value as an int32 at 2^-frac_bits (round half away
// from zero, saturating; NaN -> 0). Same as math::toActivation.
int32_t quantizeActivation(double x, uint32_t frac_bits);
std::vector<int32_t> quantizeActivations(std::span<const float> x, uint32_t frac_bits);

// A ratio (dt/tau, r*dt/tau, attention scale, encoder gain) at 2^-16: round half away from zero,
// saturating to [INT32_MIN, INT32_MAX].
int32_t quantizeDecay(double ratio);

// True when every value is finite (no NaN/inf); backends reject other weights at compile.
bool allFinite(std::span<const float> values);

}  // namespace spikeline::hal
