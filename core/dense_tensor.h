// DenseTensor: analog values (input currents, membrane potentials, logits) over T timesteps.
// Layout: row-major [T, shape...]; a tensor with no time axis (logits) has timesteps() == 1.
// Holds either float32 or int32 values (fixed-point mode). Owns its storage. A value type.
// Thread safety: const methods are safe concurrently; mutation is not.
#pragma once

#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "core/shape.h"

namespace spikeline {

enum class DType : uint8_t { kFloat32 = 0, kInt32 = 1 };

class DenseTensor {
 public:
  DenseTensor() = default;
  // Zero-filled. REQUIRES: timesteps * shape.numel() fits in memory (callers validate).
  DenseTensor(Shape shape, uint32_t timesteps, DType dtype);
  DenseTensor(Shape shape, uint32_t timesteps, std::vector<float> values);
  DenseTensor(Shape shape, uint32_t timesteps, std::vector<int32_t> values);

  const Shape& shape() const { return shape_; }
  uint32_t timesteps() const { return timesteps_; }
  DType dtype() const {
    return std::holds_alternative<std::vector<float>>(data_) ? DType::kFloat32 : DType::kInt32;
  }
  // timesteps() * shape().numel().
  size_t size() const;

  // REQUIRES: dtype() == kFloat32 / kInt32 respectively.
  std::span<const float> floats() const { return std::get<std::vector<float>>(data_); }
  std::span<float> mutableFloats() { return std::get<std::vector<float>>(data_); }
  std::span<const int32_t> ints() const { return std::get<std::vector<int32_t>>(data_); }
  std::span<int32_t> mutableInts() { return std::get<std::vector<int32_t>>(data_); }

  friend bool operator==(const DenseTensor&, const DenseTensor&) = default;

 private:
  Shape shape_;
  uint32_t timesteps_ = 0;
  std::variant<std::vector<float>, std::vector<int32_t>> data_;
};

}  // namespace spikeline
