#include "loadgen/spike_generator.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>

namespace spikeline::loadgen {

Result<SpikeTensor> randomSpikeTensor(const Shape& shape, uint32_t timesteps, double density,
                                      uint64_t seed) {
  if (!(density >= 0.0 && density <= 1.0)) {
    return invalidArgument("spike density must be in [0, 1], got " + std::to_string(density));
  }
  if (timesteps == 0) return invalidArgument("timesteps must be >= 1");
  if (shape.numel() > std::numeric_limits<uint32_t>::max()) {
    return invalidArgument("shape " + shape.toString() + " has too many neurons");
  }
  if (shape.numel() * timesteps > (uint64_t{1} << 34)) {
    return invalidArgument("spike tensor larger than 2 GiB");
  }
  SpikeTensor out(shape, timesteps);
  const uint64_t n = out.numNeurons();
  const uint64_t total = n * timesteps;
  if (density == 0.0 || total == 0) return out;
  std::mt19937_64 rng(seed);
  if (density == 1.0) {
    for (uint64_t k = 0; k < total; ++k)
      out.set(static_cast<uint32_t>(k / n), static_cast<uint32_t>(k % n));
    return out;
  }
  std::geometric_distribution<uint64_t> gap(density);  // failures before the next spike
  for (uint64_t pos = gap(rng); pos < total; pos += 1 + gap(rng)) {
    out.set(static_cast<uint32_t>(pos / n), static_cast<uint32_t>(pos % n));
  }
  return out;
}

}  // namespace spikeline::loadgen
