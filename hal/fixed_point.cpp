#include "hal/fixed_point.h"

#include <algorithm>
#include <cmath>

#include "hal/math/fixed.h"

namespace spikeline::hal {

int weightShift(std::span<const float> weights) {
  double max_abs = 0.0;
  for (float w : weights) max_abs = std::max(max_abs, std::fabs(static_cast<double>(w)));
  if (max_abs == 0.0) return 0;
  for (int s = kMaxWeightShift; s > 0; --s) {
    if (std::ldexp(max_abs, s) <= 127.0) return s;
  }
  return 0;
}

QuantizedWeights quantizeWeightsWithShift(std::span<const float> weights, int shift) {
  QuantizedWeights q;
  q.shift = shift;
  q.values.reserve(weights.size());
  for (float w : weights) {
    double r = math::roundHalfAway(std::ldexp(static_cast<double>(w), shift));
    r = r < -127.0 ? -127.0 : (r > 127.0 ? 127.0 : r);
    q.values.push_back(static_cast<int8_t>(r));
  }
  return q;
}

QuantizedWeights quantizeWeights(std::span<const float> weights) {
  return quantizeWeightsWithShift(weights, weightShift(weights));
}

int32_t quantizeActivation(double x, uint32_t frac_bits) {
  return math::toActivation(x, static_cast<int>(frac_bits));
}

std::vector<int32_t> quantizeActivations(std::span<const float> x, uint32_t frac_bits) {
  std::vector<int32_t> out;
  out.reserve(x.size());
  for (float v : x) out.push_back(quantizeActivation(v, frac_bits));
  return out;
}

int32_t quantizeDecay(double ratio) { return math::toActivation(ratio, math::kDecayBits); }

bool allFinite(std::span<const float> values) {
  for (float v : values) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

}  // namespace spikeline::hal
