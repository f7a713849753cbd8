// delay and scale on the chip. delay is an axonal delay line: the router holds each input event
// for `steps` timesteps before delivering it 1:1 to the output neuron at the same address
// (spikes stay spikes, graded events keep their value; nothing arrives before `steps`), so it
// takes no synapse memory. scale stores one int8 synapse per neuron (its own scale factor) and
// emits accToActivation(w_q * value) like a linear layer with a diagonal weight matrix.
#include <string>
#include <vector>

#include "hal/chip/chip_io.h"
#include "hal/chip/chip_mapper.h"
#include "hal/chip/chip_programs.h"
#include "hal/fixed_point.h"
#include "hal/math/fixed.h"
#include "hal/op_params.h"

namespace spikeline::hal {
namespace {

class DelayProgram final : public ChipProgram {
 public:
  DelayProgram(const OperatorSpec& spec, uint32_t delay, std::vector<NeuronRange> slices)
      : spec_(spec), delay_(delay), slices_(std::move(slices)) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&,
                     CoreActivity& activity) const override {
    const uint32_t n = static_cast<uint32_t>(spec_.input_shape.numel());
    SPIKELINE_ASSIGN_OR_RETURN(uint32_t steps, checkInputs(inputs, 1, {n, false}, spec_));
    const Tensor& x = *inputs[0];
    const auto* spikes = std::get_if<SpikeTensor>(&x);
    SpikeTensor out_spikes(spec_.input_shape, spikes ? steps : 0);
    DenseTensor out_dense(spec_.input_shape, spikes ? 0 : steps, DType::kInt32);
    std::vector<InputEvent> events;
    for (uint32_t t = delay_; t < steps; ++t) {
      gatherEvents(x, t - delay_, events);  // the events sent delay_ steps ago arrive now
      for (const NeuronRange& r : slices_) {
        for (const InputEvent& ev : events) {
          if (ev.address < r.begin || ev.address >= r.end) continue;
          ++activity.spikes_routed;
          if (spikes) {
            out_spikes.set(t, ev.address);
          } else {
            out_dense.mutableInts()[size_t(t) * n + ev.address] = ev.value;
          }
        }
        activity.neuron_updates += r.end - r.begin;
      }
    }
    if (spikes) return Tensor(std::move(out_spikes));
    return Tensor(std::move(out_dense));
  }

 private:
  OperatorSpec spec_;
  uint32_t delay_;
  std::vector<NeuronRange> slices_;
};

class ScaleProgram final : public ChipProgram {
 public:
  ScaleProgram(const OperatorSpec& spec, QuantizedWeights w, std::vector<NeuronRange> slices)
      : spec_(spec), w_(std::move(w)), slices_(std::move(slices)) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&,
                     CoreActivity& activity) const override {
    const uint32_t n = static_cast<uint32_t>(spec_.input_shape.numel());
    SPIKELINE_ASSIGN_OR_RETURN(uint32_t steps, checkInputs(inputs, 1, {n, false}, spec_));
    const Tensor& x = *inputs[0];
    const int f = static_cast<int>(spec_.frac_bits);
    const int in_bits = inputBits(x, f);
    DenseTensor out(spec_.input_shape, steps, DType::kInt32);
    std::vector<InputEvent> events;
    for (uint32_t t = 0; t < steps; ++t) {
      gatherEvents(x, t, events);
      std::span<int32_t> y = out.mutableInts().subspan(size_t(t) * n, n);
      for (const InputEvent& ev : events) {  // neurons without an event output 0
        y[ev.address] = math::accToActivation(int64_t{w_.values[ev.address]} * ev.value, w_.shift,
                                              in_bits, f, 0);
      }
      activity.spikes_routed += events.size();
      activity.synaptic_events += events.size();
      for (const NeuronRange& r : slices_) activity.neuron_updates += r.end - r.begin;
    }
    return Tensor(std::move(out));
  }

 private:
  OperatorSpec spec_;
  QuantizedWeights w_;
  std::vector<NeuronRange> slices_;
};

}  // namespace

ProgramResult buildDelayProgram(const OperatorSpec& spec, const OperatorSignature&,
                                const ChipPlacement& placement) {
  SPIKELINE_ASSIGN_OR_RETURN(uint32_t steps, delaySteps(spec));
  return std::unique_ptr<ChipProgram>(
      std::make_unique<DelayProgram>(spec, steps, sliceRanges(placement)));
}

ProgramResult buildScaleProgram(const OperatorSpec& spec, const OperatorSignature&,
                                const ChipPlacement& placement) {
  SPIKELINE_ASSIGN_OR_RETURN(std::vector<float> w, scaleWeights(spec));
  return std::unique_ptr<ChipProgram>(
      std::make_unique<ScaleProgram>(spec, quantizeWeights(w), sliceRanges(placement)));
}

}  // namespace spikeline::hal
