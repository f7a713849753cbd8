// Internal to hal/op_params*.cpp: the parameter and weight lookups whose errors name the field
// ("params.tau: must be > 0, got 0"), shared by op_params.cpp and op_params_nir.cpp. Not part
// of the HAL's API. Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/operator_spec.h"
#include "core/result.h"

namespace spikeline::hal::op_params_detail {

// kInvalidArgument "<field>: <problem>".
Status fieldError(const std::string& field, const std::string& problem);
// A finite real parameter; `dflt` when absent (required when nullopt).
Result<double> doubleParam(const Params& p, const std::string& name, std::optional<double> dflt);
// As doubleParam, and > 0.
Result<double> positiveParam(const Params& p, const std::string& name, std::optional<double> d);
// The named weight, or null.
const WeightTensor* findWeight(const OperatorSpec& spec, const std::string& name);
// Present, `numel` values (and shape), all finite.
Status checkWeight(const WeightTensor* w, const std::string& name, uint64_t numel);

}  // namespace spikeline::hal::op_params_detail
