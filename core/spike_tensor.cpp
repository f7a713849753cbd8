#include "core/spike_tensor.h"

#include <cassert>
#include <limits>

namespace spikeline {

SpikeTensor::SpikeTensor(Shape shape, uint32_t timesteps)
    : shape_(std::move(shape)), timesteps_(timesteps) {
  const uint64_t n = shape_.numel();
  assert(n <= std::numeric_limits<uint32_t>::max());
  num_neurons_ = static_cast<uint32_t>(n);
  words_per_step_ = (num_neurons_ + 63u) / 64u;
  words_.assign(size_t(timesteps_) * words_per_step_, 0);
}

uint64_t SpikeTensor::countSpikes() const {
  uint64_t n = 0;
  for (uint64_t w : words_) n += static_cast<uint64_t>(std::popcount(w));
  return n;
}

uint64_t SpikeTensor::countSpikes(uint32_t t) const {
  uint64_t n = 0;
  for (uint64_t w : step(t)) n += static_cast<uint64_t>(std::popcount(w));
  return n;
}

double SpikeTensor::density() const {
  const uint64_t total = uint64_t{timesteps_} * num_neurons_;
  return total == 0 ? 0.0 : static_cast<double>(countSpikes()) / static_cast<double>(total);
}

}  // namespace spikeline
