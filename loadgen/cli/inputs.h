// Request inputs for spikeline-loadgen: Fashion-MNIST images (with labels, so accuracy can be
// measured), random binary images of a given density, or an IDX image set from a directory.
// Returns owning values. Thread safety: stateless functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace spikeline::loadgen::cli {

// Request i uses tensors[i % size] and, when labels is non-empty, labels[i % size].
struct InputSet {
  std::vector<Tensor> tensors;
  std::vector<uint8_t> labels;
};

struct InputSpec {
  std::string kind = "random";  // "fmnist" | "random" | "dir"
  std::string dir;              // "fmnist": Debian's dataset dir; "dir": any IDX t10k-* set
  double density = 0.1;         // "random": probability a pixel is 1
  uint32_t count = 256;         // "random": distinct inputs; others: at most this many images
  uint64_t seed = 1;
};

// Every input is a one-timestep dense tensor of `input_shape` (pixels scaled to [0, 1]).
// kInvalidArgument when images do not match the shape or the spec is bad; kNotFound when the
// files are missing.
Result<InputSet> loadInputs(const InputSpec& spec, const Shape& input_shape);

}  // namespace spikeline::loadgen::cli
