// lif / if / recurrent_lif over [T, S] dense currents -> [T, S] spikes. Membranes start at 0 for
// every frame (stateless). recurrent_lif adds W_rec * s_{t-1} to the current, event-driven.
#include "hal/cpu/kernel.h"
#include "hal/cpu/simd.h"
#include "hal/math/fixed.h"
#include "hal/math/neuron.h"
#include "hal/op_params.h"

namespace spikeline::hal::cpu {
namespace {

class NeuronKernel final : public CpuKernel {
 public:
  NeuronKernel(const OperatorSpec& spec, const NeuronConfig& c)
      : CpuKernel(spec), c_(c), n_(uint32_t(spec.input_shape.numel())) {
    auto it = spec.weights.find("recurrent");
    if (it == spec.weights.end()) return;
    recurrent_ = true;
    std::vector<float> wt(size_t(n_) * n_);  // transposed: row j = weights from neuron j
    for (uint32_t i = 0; i < n_; ++i) {
      for (uint32_t j = 0; j < n_; ++j)
        wt[size_t(j) * n_ + i] = it->second.values[size_t(i) * n_ + j];
    }
    if (fixed()) {
      QuantizedWeights q = quantizeWeights(wt);  // same shift as the untransposed tensor
      shift_ = q.shift;
      wtq_ = std::move(q.values);
    } else {
      wt_ = std::move(wt);
    }
  }

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&) const override {
    SPIKELINE_RETURN_IF_ERROR(checkInputs(spec_, inputs, {Accepts::kDense}));
    const DenseTensor& x = std::get<DenseTensor>(*inputs[0]);
    SpikeTensor out(spec_.input_shape, x.timesteps());
    if (fixed()) {
      runFixed(x, out);
    } else {
      runFloat(x, out);
    }
    return Tensor(std::move(out));
  }

 private:
  void runFloat(const DenseTensor& x, SpikeTensor& out) const {
    std::vector<float> v(n_, 0.0f), current(n_);
    const auto in = x.floats();
    for (uint32_t t = 0; t < x.timesteps(); ++t) {
      const float* it = in.data() + size_t(t) * n_;
      std::copy(it, it + n_, current.begin());
      if (recurrent_ && t > 0) {
        out.forEachSpike(
            t - 1, [&](uint32_t j) { addRow(current.data(), wt_.data() + size_t(j) * n_, n_); });
      }
      for (uint32_t i = 0; i < n_; ++i) {
        const bool s = c_.leaky ? c_.lif.step(v[i], current[i]) : c_.if_f.step(v[i], current[i]);
        if (s) out.set(t, i);
      }
    }
  }

  void runFixed(const DenseTensor& x, SpikeTensor& out) const {
    std::vector<int32_t> v(n_, 0), current(n_), rec(n_);
    const auto in = x.ints();
    for (uint32_t t = 0; t < x.timesteps(); ++t) {
      const int32_t* it = in.data() + size_t(t) * n_;
      std::copy(it, it + n_, current.begin());
      if (recurrent_ && t > 0) {
        std::fill(rec.begin(), rec.end(), 0);
        out.forEachSpike(t - 1,
                         [&](uint32_t j) { addRow(rec.data(), wtq_.data() + size_t(j) * n_, n_); });
        for (uint32_t i = 0; i < n_; ++i) {
          current[i] = math::sat32(int64_t{current[i]} + math::rescale(rec[i], shift_, frac()));
        }
      }
      for (uint32_t i = 0; i < n_; ++i) {
        const bool s = c_.leaky ? c_.lif_q.step(v[i], current[i]) : c_.if_q.step(v[i], current[i]);
        if (s) out.set(t, i);
      }
    }
  }

  NeuronConfig c_;
  uint32_t n_;
  bool recurrent_ = false;
  std::vector<float> wt_;
  std::vector<int8_t> wtq_;
  int shift_ = 0;
};

}  // namespace

KernelResult makeNeuronKernel(const OperatorSpec& spec) {
  SPIKELINE_ASSIGN_OR_RETURN(NeuronConfig c, neuronConfig(spec));
  if (spec.kind == "recurrent_lif") {
    SPIKELINE_RETURN_IF_ERROR(recurrentWeights(spec).status());
  }
  return std::unique_ptr<CpuKernel>(std::make_unique<NeuronKernel>(spec, c));
}

}  // namespace spikeline::hal::cpu
