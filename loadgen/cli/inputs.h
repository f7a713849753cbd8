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
  // Image labels -> the model's classes (label_map[label]); empty: the labels as they are.
  // E.g. Fashion-MNIST's 10 classes grouped into clothing / footwear / bags.
  std::vector<uint8_t> label_map;
};

// Parses "--label-map 0,0,0,0,0,1,0,1,2,1": one class per image label, in label order.
// kInvalidArgument naming the entry at fault.
Result<std::vector<uint8_t>> parseLabelMap(const std::string& text);

// Every input is a dense tensor of `input_shape` with pixels scaled to [0, 1]: one timestep
// when the image has as many pixels as the shape; for a sequence model (an image has
// input_shape.numel() * timesteps pixels) timestep t holds the t-th slice of the row-major image
// (one row per step for a [28] input with T = 28).
// kInvalidArgument when images fit neither way, a label has no class in label_map, or the spec
// is bad; kNotFound when the files are missing.
Result<InputSet> loadInputs(const InputSpec& spec, const Shape& input_shape,
                            uint32_t timesteps = 1);

}  // namespace spikeline::loadgen::cli
