// flatten, add and iand on the chip: 1:1 neurons, each core computing its slice. flatten relabels
// addresses (same values), add sums two inputs (spikes count 2^F; saturating), iand computes
// (NOT in0) AND in1 on spikes.
#include <string>
#include <vector>

#include "hal/chip/chip_io.h"
#include "hal/chip/chip_mapper.h"
#include "hal/chip/chip_programs.h"
#include "hal/math/fixed.h"

namespace spikeline::hal {
namespace {

enum class Combine : uint8_t { kFlatten, kAdd, kIand };

class CombineProgram final : public ChipProgram {
 public:
  CombineProgram(const OperatorSpec& spec, Combine op, std::vector<NeuronRange> slices)
      : spec_(spec), op_(op), slices_(std::move(slices)) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&,
                     CoreActivity& activity) const override {
    const uint32_t n = static_cast<uint32_t>(spec_.input_shape.numel());
    const size_t count = op_ == Combine::kFlatten ? 1 : 2;
    SPIKELINE_ASSIGN_OR_RETURN(uint32_t steps, checkInputs(inputs, count, {n, false}, spec_));
    const int f = static_cast<int>(spec_.frac_bits);
    if (op_ == Combine::kAdd) {
      DenseTensor out(spec_.input_shape, steps, DType::kInt32);
      forEachNeuron(steps, activity, [&](uint32_t t, uint32_t i) {
        out.mutableInts()[size_t(t) * n + i] = math::sat32(
            int64_t{activationAt(*inputs[0], t, i, f)} + activationAt(*inputs[1], t, i, f));
      });
      return Tensor(std::move(out));
    }
    if (op_ == Combine::kIand) {
      for (size_t k = 0; k < 2; ++k) {
        if (!isSpikes(*inputs[k])) {
          return invalidArgument("inputs: iand input " + std::to_string(k) + " must be spikes");
        }
      }
      const auto& a = std::get<SpikeTensor>(*inputs[0]);
      const auto& b = std::get<SpikeTensor>(*inputs[1]);
      SpikeTensor out(spec_.input_shape, steps);
      forEachNeuron(steps, activity, [&](uint32_t t, uint32_t i) {
        if (!a.get(t, i) && b.get(t, i)) out.set(t, i);
      });
      return Tensor(std::move(out));
    }
    const Shape flat{n};
    if (const auto* s = std::get_if<SpikeTensor>(inputs[0])) {
      SpikeTensor out(flat, steps);
      forEachNeuron(steps, activity, [&](uint32_t t, uint32_t i) {
        if (s->get(t, i)) out.set(t, i);
      });
      return Tensor(std::move(out));
    }
    DenseTensor out(flat, steps, DType::kInt32);
    const auto x = std::get<DenseTensor>(*inputs[0]).ints();
    forEachNeuron(steps, activity, [&](uint32_t t, uint32_t i) {
      out.mutableInts()[size_t(t) * n + i] = x[size_t(t) * n + i];
    });
    return Tensor(std::move(out));
  }

 private:
  template <typename Fn>
  void forEachNeuron(uint32_t steps, CoreActivity& activity, Fn&& fn) const {
    for (uint32_t t = 0; t < steps; ++t) {
      for (const NeuronRange& r : slices_) {
        for (uint32_t i = r.begin; i < r.end; ++i) fn(t, i);
        activity.neuron_updates += r.end - r.begin;
      }
    }
  }

  OperatorSpec spec_;
  Combine op_;
  std::vector<NeuronRange> slices_;
};

}  // namespace

ProgramResult buildElementwiseProgram(const OperatorSpec& spec, const OperatorSignature&,
                                      const ChipPlacement& placement) {
  const Combine op = spec.kind == "add"    ? Combine::kAdd
                     : spec.kind == "iand" ? Combine::kIand
                                           : Combine::kFlatten;
  return std::unique_ptr<ChipProgram>(
      std::make_unique<CombineProgram>(spec, op, sliceRanges(placement)));
}

}  // namespace spikeline::hal
