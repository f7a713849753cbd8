// readout: one step out ([1, S] dense). spike_count: spikes per neuron over T (fixed: count at
// 2^-F, saturated). membrane: final v of v += dt/tau * (-v + x) from v = 0 (fixed: LifFixed
// integrate with r = 1, v_leak = 0, saturated to 24 bits).
#include "hal/cpu/kernel.h"
#include "hal/math/fixed.h"
#include "hal/op_params.h"

namespace spikeline::hal::cpu {
namespace {

class ReadoutKernel final : public CpuKernel {
 public:
  ReadoutKernel(const OperatorSpec& spec, const ReadoutConfig& c)
      : CpuKernel(spec), c_(c), n_(uint32_t(spec.input_shape.numel())) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&) const override {
    SPIKELINE_RETURN_IF_ERROR(
        checkInputs(spec_, inputs, {c_.membrane ? Accepts::kDense : Accepts::kSpikes}));
    DenseTensor out(spec_.input_shape, 1, denseType(spec_));
    if (!c_.membrane) {
      const auto& s = std::get<SpikeTensor>(*inputs[0]);
      std::vector<int64_t> count(n_, 0);
      for (uint32_t t = 0; t < s.timesteps(); ++t)
        s.forEachSpike(t, [&](uint32_t i) { ++count[i]; });
      for (uint32_t i = 0; i < n_; ++i) {
        if (fixed()) {
          out.mutableInts()[i] = math::sat32(math::rescale(count[i], 0, frac()));
        } else {
          out.mutableFloats()[i] = float(count[i]);
        }
      }
      return Tensor(std::move(out));
    }
    const auto& x = std::get<DenseTensor>(*inputs[0]);
    for (uint32_t t = 0; t < x.timesteps(); ++t) {
      for (uint32_t i = 0; i < n_; ++i) {
        if (fixed()) {
          int32_t& v = out.mutableInts()[i];
          v = c_.lif_q.integrate(v, x.ints()[size_t(t) * n_ + i]);
        } else {
          float& v = out.mutableFloats()[i];
          v = c_.lif.integrate(v, x.floats()[size_t(t) * n_ + i]);
        }
      }
    }
    return Tensor(std::move(out));
  }

 private:
  ReadoutConfig c_;
  uint32_t n_;
};

}  // namespace

KernelResult makeReadoutKernel(const OperatorSpec& spec) {
  SPIKELINE_ASSIGN_OR_RETURN(ReadoutConfig c, readoutConfig(spec));
  return std::unique_ptr<CpuKernel>(std::make_unique<ReadoutKernel>(spec, c));
}

}  // namespace spikeline::hal::cpu
