// Random spike tensors for synthetic load: every neuron-step spikes independently with a given
// probability, from a seed (same seed, same tensor). Returns owning values.
// Thread safety: stateless function.
#pragma once

#include <cstdint>

#include "core/result.h"
#include "core/shape.h"
#include "core/spike_tensor.h"

namespace spikeline::loadgen {

// kInvalidArgument unless 0 <= density <= 1, timesteps >= 1 and shape.numel() fits in uint32.
// Cost O(words + spikes): gaps between spikes are drawn from a geometric distribution.
Result<SpikeTensor> randomSpikeTensor(const Shape& shape, uint32_t timesteps, double density,
                                      uint64_t seed);

}  // namespace spikeline::loadgen
