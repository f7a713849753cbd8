// flatten, to_tokens, add and iand on the chip: 1:1 neurons, each core computing its slice.
// flatten relabels addresses (same values), to_tokens remaps them ([C, H, W] address c*H*W + p is
// routed to output neuron p*C + c; spikes stay spikes), add sums two inputs (spikes count 2^F;
// saturating), iand computes (NOT in0) AND in1 on spikes.
#include <string>
#include <vector>

#include "hal/chip/chip_io.h"
#include "hal/chip/chip_mapper.h"
#include "hal/chip/chip_programs.h"
#include "hal/math/fixed.h"
#include "hal/math/geometry.h"
#include "hal/op_params.h"

namespace spikeline::hal {
namespace {

enum class Combine : uint8_t { kFlatten, kAdd, kIand, kToTokens };

class CombineProgram final : public ChipProgram {
 public:
  CombineProgram(const OperatorSpec& spec, Combine op, Shape out_shape, math::TokenGeometry tokens,
                 std::vector<NeuronRange> slices)
      : spec_(spec),
        op_(op),
        out_shape_(std::move(out_shape)),
        tokens_(tokens),
        slices_(std::move(slices)) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&,
                     CoreActivity& activity) const override {
    const uint32_t n = static_cast<uint32_t>(spec_.input_shape.numel());
    const size_t count = op_ == Combine::kAdd || op_ == Combine::kIand ? 2 : 1;
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
    // flatten and to_tokens: output neuron o copies input address source(o).
    const bool remap = op_ == Combine::kToTokens;
    auto source = [&](uint32_t o) { return remap ? tokens_.sourceOf(o) : o; };
    if (const auto* s = std::get_if<SpikeTensor>(inputs[0])) {
      SpikeTensor out(out_shape_, steps);
      forEachNeuron(steps, activity, [&](uint32_t t, uint32_t o) {
        if (s->get(t, source(o))) out.set(t, o);
      });
      return Tensor(std::move(out));
    }
    DenseTensor out(out_shape_, steps, DType::kInt32);
    const auto x = std::get<DenseTensor>(*inputs[0]).ints();
    forEachNeuron(steps, activity, [&](uint32_t t, uint32_t o) {
      out.mutableInts()[size_t(t) * n + o] = x[size_t(t) * n + source(o)];
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
  Shape out_shape_;
  math::TokenGeometry tokens_;  // to_tokens only
  std::vector<NeuronRange> slices_;
};

}  // namespace

ProgramResult buildElementwiseProgram(const OperatorSpec& spec, const OperatorSignature& sig,
                                      const ChipPlacement& placement) {
  const Combine op = spec.kind == "add"         ? Combine::kAdd
                     : spec.kind == "iand"      ? Combine::kIand
                     : spec.kind == "to_tokens" ? Combine::kToTokens
                                                : Combine::kFlatten;
  math::TokenGeometry tokens;
  if (op == Combine::kToTokens) {
    SPIKELINE_ASSIGN_OR_RETURN(tokens, tokenGeometry(spec));
  }
  return std::unique_ptr<ChipProgram>(
      std::make_unique<CombineProgram>(spec, op, sig.output_shape, tokens, sliceRanges(placement)));
}

}  // namespace spikeline::hal
