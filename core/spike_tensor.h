// SpikeTensor: binary spikes of N neurons over T timesteps, packed one bit per neuron-step.
// Layout: T rows; row t holds neurons 0..N-1 as bits, little-endian within 64-bit words, each row
// padded to a whole number of words (padding bits are always zero). Owns its storage.
// A value type. Thread safety: const methods are safe concurrently; mutation is not.
#pragma once

#include <bit>
#include <cstdint>
#include <span>
#include <vector>

#include "core/shape.h"

namespace spikeline {

class SpikeTensor {
 public:
  SpikeTensor() = default;
  // All zeros. REQUIRES: shape.numel() fits in uint32_t (callers validate untrusted sizes).
  SpikeTensor(Shape shape, uint32_t timesteps);

  const Shape& shape() const { return shape_; }
  uint32_t timesteps() const { return timesteps_; }
  uint32_t numNeurons() const { return num_neurons_; }
  // 64-bit words per timestep row.
  uint32_t wordsPerStep() const { return words_per_step_; }

  // REQUIRES: t < timesteps(), i < numNeurons().
  bool get(uint32_t t, uint32_t i) const {
    return (words_[size_t(t) * words_per_step_ + (i >> 6)] >> (i & 63)) & 1u;
  }
  void set(uint32_t t, uint32_t i, bool spike = true) {
    uint64_t& w = words_[size_t(t) * words_per_step_ + (i >> 6)];
    const uint64_t bit = uint64_t{1} << (i & 63);
    w = spike ? (w | bit) : (w & ~bit);
  }

  // The packed words of timestep t. REQUIRES: t < timesteps().
  std::span<const uint64_t> step(uint32_t t) const {
    return {words_.data() + size_t(t) * words_per_step_, words_per_step_};
  }
  std::span<uint64_t> mutableStep(uint32_t t) {
    return {words_.data() + size_t(t) * words_per_step_, words_per_step_};
  }
  // All T rows, row-major. Writers must keep padding bits zero.
  std::span<const uint64_t> words() const { return words_; }
  std::span<uint64_t> mutableWords() { return words_; }

  // Calls fn(neuron_index) for each spike of timestep t in ascending order; cost O(words + spikes).
  template <typename Fn>
  void forEachSpike(uint32_t t, Fn&& fn) const {
    const uint64_t* row = words_.data() + size_t(t) * words_per_step_;
    for (uint32_t w = 0; w < words_per_step_; ++w) {
      uint64_t bits = row[w];
      while (bits != 0) {
        fn(w * 64u + static_cast<uint32_t>(std::countr_zero(bits)));
        bits &= bits - 1;
      }
    }
  }

  uint64_t countSpikes() const;
  uint64_t countSpikes(uint32_t t) const;
  // Spikes / (T * N); 0 for an empty tensor.
  double density() const;

  friend bool operator==(const SpikeTensor&, const SpikeTensor&) = default;

 private:
  Shape shape_;
  uint32_t timesteps_ = 0;
  uint32_t num_neurons_ = 0;
  uint32_t words_per_step_ = 0;
  std::vector<uint64_t> words_;
};

}  // namespace spikeline
