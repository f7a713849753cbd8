// Deterministic random tensors for tests: spikes at a given density, dense values in a range.
// Header-only; for tests only. Thread safety: each call uses its own generator.
#pragma once

#include <cstdint>
#include <random>

#include "core/dense_tensor.h"
#include "core/spike_tensor.h"

namespace spikeline::testing {

// Each neuron-step spikes independently with probability `density` (0..1).
inline SpikeTensor randomSpikes(const Shape& shape, uint32_t timesteps, double density,
                                uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution coin(density);
  SpikeTensor s(shape, timesteps);
  for (uint32_t t = 0; t < timesteps; ++t) {
    for (uint32_t i = 0; i < s.numNeurons(); ++i) {
      if (coin(rng)) s.set(t, i);
    }
  }
  return s;
}

inline DenseTensor randomFloats(const Shape& shape, uint32_t timesteps, float lo, float hi,
                                uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  DenseTensor d(shape, timesteps, DType::kFloat32);
  for (float& v : d.mutableFloats()) v = dist(rng);
  return d;
}

}  // namespace spikeline::testing
