#include "hal/cpu/kernel.h"

#include <algorithm>
#include <string>

namespace spikeline::hal::cpu {
namespace {

std::string kindName(const Tensor& x) {
  if (isSpikes(x)) return "spikes";
  return std::get<DenseTensor>(x).dtype() == DType::kFloat32 ? "float32 values" : "int32 values";
}

Status checkOne(const OperatorSpec& spec, const Tensor& x, size_t i, Accepts rule,
                bool allow_float) {
  const std::string where = "inputs: " + spec.kind + " input " + std::to_string(i);
  if (tensorShape(x) != spec.input_shape) {
    return invalidArgument(where + " has shape " + tensorShape(x).toString() + ", compiled for " +
                           spec.input_shape.toString());
  }
  if (tensorTimesteps(x) == 0) return invalidArgument(where + " has no timesteps");
  if (isSpikes(x)) {
    if (rule == Accepts::kDense)
      return invalidArgument(where + " must be dense values, got spikes");
    return Status::ok();
  }
  if (rule == Accepts::kSpikes) {
    return invalidArgument(where + " must be spikes, got " + kindName(x));
  }
  const DType want = denseType(spec);
  const DType got = std::get<DenseTensor>(x).dtype();
  if (got != want && !(allow_float && got == DType::kFloat32)) {
    return invalidArgument(where + " must be " +
                           (want == DType::kInt32 ? "int32 values (fixed precision)"
                                                  : "float32 values (float32 precision)") +
                           ", got " + kindName(x));
  }
  return Status::ok();
}

}  // namespace

Status checkInputs(const OperatorSpec& spec, std::span<const Tensor* const> inputs,
                   std::initializer_list<Accepts> rules, bool allow_float) {
  if (inputs.size() != rules.size()) {
    return invalidArgument("inputs: " + spec.kind + " takes " + std::to_string(rules.size()) +
                           " input(s), got " + std::to_string(inputs.size()));
  }
  size_t i = 0;
  for (Accepts rule : rules) {
    if (inputs[i] == nullptr)
      return invalidArgument("inputs: input " + std::to_string(i) + " is null");
    SPIKELINE_RETURN_IF_ERROR(checkOne(spec, *inputs[i], i, rule, allow_float));
    if (tensorTimesteps(*inputs[i]) != tensorTimesteps(*inputs[0])) {
      return invalidArgument("inputs: " + spec.kind + " inputs have different T (" +
                             std::to_string(tensorTimesteps(*inputs[0])) + " and " +
                             std::to_string(tensorTimesteps(*inputs[i])) + ")");
    }
    ++i;
  }
  return Status::ok();
}

void stepAsFloats(const Tensor& x, uint32_t t, std::span<float> out) {
  if (const auto* s = std::get_if<SpikeTensor>(&x)) {
    std::fill(out.begin(), out.end(), 0.0f);
    s->forEachSpike(t, [&](uint32_t i) { out[i] = 1.0f; });
    return;
  }
  const auto values = std::get<DenseTensor>(x).floats().subspan(size_t(t) * out.size(), out.size());
  std::copy(values.begin(), values.end(), out.begin());
}

void stepAsInts(const Tensor& x, uint32_t t, int frac_bits, std::span<int32_t> out) {
  if (const auto* s = std::get_if<SpikeTensor>(&x)) {
    std::fill(out.begin(), out.end(), 0);
    const int32_t one = int32_t{1} << frac_bits;
    s->forEachSpike(t, [&](uint32_t i) { out[i] = one; });
    return;
  }
  const auto values = std::get<DenseTensor>(x).ints().subspan(size_t(t) * out.size(), out.size());
  std::copy(values.begin(), values.end(), out.begin());
}

}  // namespace spikeline::hal::cpu
