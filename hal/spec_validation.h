// validateSpec: the checks every backend makes on an OperatorSpec before compiling it, so the CPU
// reference, the chip and CUDA accept exactly the same specs. Backend-specific limits (the chip's
// fixed-only rule, core counts) are checked by each backend on top of this.
// Thread safety: a pure function.
#pragma once

#include "core/operator_catalog.h"
#include "core/operator_spec.h"
#include "core/result.h"

namespace spikeline::hal {

// Largest frac_bits in fixed precision: 2^F * 127 * fan-in must stay exact in the accumulators.
inline constexpr uint32_t kMaxFracBits = 24;

// The input kind a spec is checked with at compile time (the kind actually given is checked at
// run time; linear/conv/pooling/add/graph/flatten take either).
ValueKind compileTimeInputKind(const OperatorSpec& spec);

// Known kind (kNotFound otherwise), frac_bits <= kMaxFracBits in fixed precision, the catalog's
// parameter/weight/shape checks against spec.input_shape, and a declared output_shape that
// agrees with the catalog (kInvalidArgument naming the field otherwise). Returns the signature.
Result<OperatorSignature> validateSpec(const OperatorSpec& spec);

}  // namespace spikeline::hal
