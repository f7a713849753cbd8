// Tensor: what crosses a stage boundary in memory, either spikes or dense values.
// A value type (std::variant of two value types). Thread safety: as its alternatives.
#pragma once

#include <variant>

#include "core/dense_tensor.h"
#include "core/spike_tensor.h"

namespace spikeline {

using Tensor = std::variant<SpikeTensor, DenseTensor>;

inline const Shape& tensorShape(const Tensor& t) {
  return std::visit([](const auto& x) -> const Shape& { return x.shape(); }, t);
}
inline uint32_t tensorTimesteps(const Tensor& t) {
  return std::visit([](const auto& x) { return x.timesteps(); }, t);
}
inline bool isSpikes(const Tensor& t) { return std::holds_alternative<SpikeTensor>(t); }

}  // namespace spikeline
