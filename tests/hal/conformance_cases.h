// Random conformance cases: for an operator case name, a seed and a precision, a spec with random
// shapes/parameters/weights and matching random inputs (spike densities drawn from 2%..70%).
// Header for tests only. Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "core/operator_spec.h"
#include "core/tensor.h"
#include "hal/backend.h"

namespace spikeline::hal::testing {

struct ConformanceCase {
  OperatorSpec spec;
  std::vector<Tensor> inputs;
  RunContext ctx;
};

// Case names, e.g. "linear_spikes", "conv2d_bn_groups", "lif_subtract", "readout_membrane".
const std::vector<std::string>& conformanceCaseNames();
ConformanceCase makeConformanceCase(const std::string& name, Precision precision, uint64_t seed);

}  // namespace spikeline::hal::testing
