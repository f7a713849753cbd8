// The operator catalog: which operator kinds exist, their parameters, weights and inputs, and the
// shape each produces. Pure functions over values; topology/ validates model files with them and
// every HAL backend checks specs with them, so there is one definition of "a valid operator".
// Thread safety: stateless; safe from any thread.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/operator_spec.h"
#include "core/result.h"
#include "core/shape.h"

namespace spikeline {

// What an operator's output carries.
enum class ValueKind : uint8_t { kSpikes = 0, kDense = 1 };

struct OperatorSignature {
  Shape output_shape;  // per timestep
  ValueKind output_kind = ValueKind::kSpikes;
  bool output_has_time = true;  // false: readout emits one step (T = 1)
};

// All known kinds, e.g. "conv2d", "lif". Stable order (used in messages and docs).
std::span<const std::string_view> operatorKinds();
bool isKnownOperatorKind(std::string_view kind);

// Inputs a kind takes: 1 for most, 2 for add/iand, 3 for self_attention.
// REQUIRES: isKnownOperatorKind(kind).
size_t operatorInputCount(std::string_view kind);

// Checks spec.params and spec.weights against the kind and the given per-timestep input shapes
// (one per input; input_kinds likewise) and returns the output signature.
// On error: kInvalidArgument (kNotFound for an unknown kind) whose message starts with the path
// of the field at fault, then ": " and the problem, e.g.
//   "params.stride: must be >= 1, got 0"
//   "weights.weight: shape [8, 2, 3, 3] expects 2 input channels, input has 1"
//   "inputs: conv2d takes 1 input, got 2"
// so that topology/ can point at the YAML line of that field.
Result<OperatorSignature> inferOperator(const OperatorSpec& spec,
                                        std::span<const Shape> input_shapes,
                                        std::span<const ValueKind> input_kinds);

}  // namespace spikeline
