#include "core/dense_tensor.h"

#include <cassert>

namespace spikeline {

DenseTensor::DenseTensor(Shape shape, uint32_t timesteps, DType dtype)
    : shape_(std::move(shape)), timesteps_(timesteps) {
  const size_t n = size_t(timesteps_) * shape_.numel();
  if (dtype == DType::kFloat32) {
    data_ = std::vector<float>(n, 0.0f);
  } else {
    data_ = std::vector<int32_t>(n, 0);
  }
}

DenseTensor::DenseTensor(Shape shape, uint32_t timesteps, std::vector<float> values)
    : shape_(std::move(shape)), timesteps_(timesteps), data_(std::move(values)) {
  assert(std::get<std::vector<float>>(data_).size() == size());
}

DenseTensor::DenseTensor(Shape shape, uint32_t timesteps, std::vector<int32_t> values)
    : shape_(std::move(shape)), timesteps_(timesteps), data_(std::move(values)) {
  assert(std::get<std::vector<int32_t>>(data_).size() == size());
}

size_t DenseTensor::size() const { return size_t(timesteps_) * shape_.numel(); }

}  // namespace spikeline
