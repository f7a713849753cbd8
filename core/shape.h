// Shape: the dimensions of one timestep of a tensor (batch and time excluded), e.g. {2, 28, 28}.
// A value type. Thread safety: immutable use is safe; no shared state.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace spikeline {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<uint32_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<uint32_t> dims) : dims_(std::move(dims)) {}

  const std::vector<uint32_t>& dims() const { return dims_; }
  size_t rank() const { return dims_.size(); }
  uint32_t operator[](size_t i) const { return dims_[i]; }
  // Product of dims; 1 for rank 0. Saturates to UINT64_MAX on overflow (callers validate).
  uint64_t numel() const;
  // "[2, 28, 28]".
  std::string toString() const;

  friend bool operator==(const Shape&, const Shape&) = default;

 private:
  std::vector<uint32_t> dims_;
};

}  // namespace spikeline
