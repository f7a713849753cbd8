#include "hal/chip/chip_io.h"

#include "hal/math/fixed.h"

namespace spikeline::hal {

Result<uint32_t> checkInputs(std::span<const Tensor* const> inputs, size_t count,
                             const InputCheck& check, const OperatorSpec& spec) {
  const std::string op = "inputs: operator '" + spec.name + "' (" + spec.kind + ")";
  if (inputs.size() != count) {
    return invalidArgument(op + " takes " + std::to_string(count) + " input(s), got " +
                           std::to_string(inputs.size()));
  }
  uint32_t timesteps = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string which = op + " input " + std::to_string(i);
    if (inputs[i] == nullptr) return invalidArgument(which + " is null");
    const Tensor& in = *inputs[i];
    if (tensorShape(in).numel() != check.numel) {
      return invalidArgument(which + " has shape " + tensorShape(in).toString() + ", expected " +
                             spec.input_shape.toString());
    }
    const uint32_t t = tensorTimesteps(in);
    if (t == 0) return invalidArgument(which + " has no timesteps");
    if (i > 0 && t != timesteps) {
      return invalidArgument(which + " has " + std::to_string(t) + " timesteps, input 0 has " +
                             std::to_string(timesteps));
    }
    timesteps = t;
    if (const auto* d = std::get_if<DenseTensor>(&in)) {
      if (d->dtype() == DType::kFloat32 && !check.allow_float) {
        return invalidArgument(which + " is float32; fixed precision takes int32 activations");
      }
    }
  }
  return timesteps;
}

void gatherEvents(const Tensor& in, uint32_t t, std::vector<InputEvent>& events) {
  events.clear();
  if (const auto* s = std::get_if<SpikeTensor>(&in)) {
    s->forEachSpike(t, [&events](uint32_t i) { events.push_back({i, 1}); });
    return;
  }
  const auto& d = std::get<DenseTensor>(in);
  const size_t n = d.shape().numel();
  const std::span<const int32_t> row = d.ints().subspan(size_t(t) * n, n);
  for (size_t i = 0; i < n; ++i) {
    if (row[i] != 0) events.push_back({static_cast<uint32_t>(i), row[i]});
  }
}

int32_t activationAt(const Tensor& in, uint32_t t, uint32_t i, int frac_bits) {
  if (const auto* s = std::get_if<SpikeTensor>(&in)) {
    return s->get(t, i) ? math::spikeActivation(frac_bits) : 0;
  }
  const auto& d = std::get<DenseTensor>(in);
  const size_t idx = size_t(t) * d.shape().numel() + i;
  if (d.dtype() == DType::kInt32) return d.ints()[idx];
  return math::toActivation(static_cast<double>(d.floats()[idx]), frac_bits);
}

int inputBits(const Tensor& in, int frac_bits) { return isSpikes(in) ? 0 : frac_bits; }

}  // namespace spikeline::hal
