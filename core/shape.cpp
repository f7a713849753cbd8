#include "core/shape.h"

#include <limits>

namespace spikeline {

uint64_t Shape::numel() const {
  uint64_t n = 1;
  for (uint32_t d : dims_) {
    if (d != 0 && n > std::numeric_limits<uint64_t>::max() / d) {
      return std::numeric_limits<uint64_t>::max();
    }
    n *= d;
  }
  return n;
}

std::string Shape::toString() const {
  std::string out = "[";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(dims_[i]);
  }
  out += "]";
  return out;
}

}  // namespace spikeline
