// The NIR kinds without a conv2d lowering: the NIR neurons (li, integrator, cuba_li, cuba_lif
// with optional recurrence, threshold) over [T, S] dense or spike input, delay (y[t] = x[t - d],
// value kind kept) and scale (y = scale ⊙ x, dense out). Membranes and currents start at 0 for
// every frame (stateless).
#include <algorithm>

#include "hal/cpu/kernel.h"
#include "hal/cpu/simd.h"
#include "hal/fixed_point.h"
#include "hal/math/fixed.h"
#include "hal/math/neuron.h"
#include "hal/op_params.h"

namespace spikeline::hal::cpu {
namespace {

class NirNeuronKernel final : public CpuKernel {
 public:
  NirNeuronKernel(const OperatorSpec& spec, const NirNeuronConfig& c)
      : CpuKernel(spec), c_(c), n_(uint32_t(spec.input_shape.numel())) {
    if (!c.recurrent) return;
    const std::vector<float>& w = spec.weights.at("recurrent").values;
    std::vector<float> wt(size_t(n_) * n_);  // transposed: row j = weights from neuron j
    for (uint32_t i = 0; i < n_; ++i) {
      for (uint32_t j = 0; j < n_; ++j) wt[size_t(j) * n_ + i] = w[size_t(i) * n_ + j];
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
    SPIKELINE_RETURN_IF_ERROR(checkInputs(spec_, inputs, {Accepts::kEither}));
    const Tensor& x = *inputs[0];
    const uint32_t steps = tensorTimesteps(x);
    if (c_.f.spiking) {
      SpikeTensor out(spec_.input_shape, steps);
      if (fixed()) {
        runFixed(x, steps, &out, nullptr);
      } else {
        runFloat(x, steps, &out, nullptr);
      }
      return Tensor(std::move(out));
    }
    DenseTensor out(spec_.input_shape, steps, denseType(spec_));
    if (fixed()) {
      runFixed(x, steps, nullptr, &out);
    } else {
      runFloat(x, steps, nullptr, &out);
    }
    return Tensor(std::move(out));
  }

 private:
  // Exactly one of spikes / dense is set (the kind's output).
  void runFloat(const Tensor& x, uint32_t steps, SpikeTensor* spikes, DenseTensor* dense) const {
    std::vector<float> cur(n_, 0.0f), v(n_, 0.0f), in(n_);
    for (uint32_t t = 0; t < steps; ++t) {
      stepAsFloats(x, t, in);
      if (!wt_.empty() && t > 0) {  // x' = x + W_rec s[t-1], spikes in ascending j
        spikes->forEachSpike(
            t - 1, [&](uint32_t j) { addRow(in.data(), wt_.data() + size_t(j) * n_, n_); });
      }
      float* y = dense ? dense->mutableFloats().data() + size_t(t) * n_ : nullptr;
      for (uint32_t k = 0; k < n_; ++k) {
        const bool s = c_.f.step(cur[k], v[k], in[k]);
        if (spikes && s) spikes->set(t, k);
        if (y) y[k] = v[k];
      }
    }
  }

  void runFixed(const Tensor& x, uint32_t steps, SpikeTensor* spikes, DenseTensor* dense) const {
    std::vector<int32_t> cur(n_, 0), v(n_, 0), in(n_), rec(wtq_.empty() ? 0 : n_);
    for (uint32_t t = 0; t < steps; ++t) {
      stepAsInts(x, t, frac(), in);
      if (!wtq_.empty() && t > 0) {
        std::fill(rec.begin(), rec.end(), 0);
        spikes->forEachSpike(
            t - 1, [&](uint32_t j) { addRow(rec.data(), wtq_.data() + size_t(j) * n_, n_); });
        for (uint32_t k = 0; k < n_; ++k) {
          in[k] = math::sat32(int64_t{in[k]} + math::rescale(rec[k], shift_, frac()));
        }
      }
      int32_t* y = dense ? dense->mutableInts().data() + size_t(t) * n_ : nullptr;
      for (uint32_t k = 0; k < n_; ++k) {
        const bool s = c_.q.step(cur[k], v[k], in[k]);
        if (spikes && s) spikes->set(t, k);
        if (y) y[k] = v[k];
      }
    }
  }

  NirNeuronConfig c_;
  uint32_t n_;
  std::vector<float> wt_;
  std::vector<int8_t> wtq_;
  int shift_ = 0;
};

class DelayKernel final : public CpuKernel {
 public:
  DelayKernel(const OperatorSpec& spec, uint32_t steps) : CpuKernel(spec), delay_(steps) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&) const override {
    SPIKELINE_RETURN_IF_ERROR(checkInputs(spec_, inputs, {Accepts::kEither}));
    const uint32_t steps = tensorTimesteps(*inputs[0]);
    if (const auto* s = std::get_if<SpikeTensor>(inputs[0])) {
      SpikeTensor out(spec_.input_shape, steps);
      for (uint32_t t = delay_; t < steps; ++t) {
        const auto from = s->step(t - delay_);
        std::copy(from.begin(), from.end(), out.mutableStep(t).begin());
      }
      return Tensor(std::move(out));
    }
    const DenseTensor& d = std::get<DenseTensor>(*inputs[0]);
    if (d.dtype() == DType::kFloat32) return Tensor(shifted(d.floats(), steps));
    return Tensor(shifted(d.ints(), steps));
  }

 private:
  template <typename T>
  DenseTensor shifted(std::span<const T> x, uint32_t steps) const {
    const size_t n = spec_.input_shape.numel();
    std::vector<T> y(x.size(), T{0});
    if (delay_ < steps) {
      std::copy(x.begin(), x.end() - ptrdiff_t(size_t(delay_) * n), y.begin() + size_t(delay_) * n);
    }
    return DenseTensor(spec_.input_shape, steps, std::move(y));
  }

  uint32_t delay_;
};

class ScaleKernel final : public CpuKernel {
 public:
  ScaleKernel(const OperatorSpec& spec, std::vector<float> w) : CpuKernel(spec) {
    if (fixed()) {
      QuantizedWeights q = quantizeWeights(w);
      wq_ = std::move(q.values);
      shift_ = q.shift;
    } else {
      w_ = std::move(w);
    }
  }

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&) const override {
    SPIKELINE_RETURN_IF_ERROR(checkInputs(spec_, inputs, {Accepts::kEither}));
    const Tensor& x = *inputs[0];
    const uint32_t steps = tensorTimesteps(x);
    const size_t n = spec_.input_shape.numel();
    DenseTensor out(spec_.input_shape, steps, denseType(spec_));
    if (fixed()) {
      const int in_bits = isSpikes(x) ? 0 : frac();  // a spike counts 1 in the product
      std::vector<int32_t> xi(n);
      for (uint32_t t = 0; t < steps; ++t) {
        stepAsInts(x, t, in_bits, xi);
        int32_t* y = out.mutableInts().data() + size_t(t) * n;
        for (size_t k = 0; k < n; ++k) {
          y[k] = math::accToActivation(int64_t{wq_[k]} * xi[k], shift_, in_bits, frac(), 0);
        }
      }
    } else {
      std::vector<float> xf(n);
      for (uint32_t t = 0; t < steps; ++t) {
        stepAsFloats(x, t, xf);
        float* y = out.mutableFloats().data() + size_t(t) * n;
        for (size_t k = 0; k < n; ++k) y[k] = w_[k] * xf[k];
      }
    }
    return Tensor(std::move(out));
  }

 private:
  std::vector<float> w_;
  std::vector<int8_t> wq_;
  int shift_ = 0;
};

}  // namespace

KernelResult makeNirNeuronKernel(const OperatorSpec& spec) {
  SPIKELINE_ASSIGN_OR_RETURN(NirNeuronConfig c, nirNeuronConfig(spec));
  return std::unique_ptr<CpuKernel>(std::make_unique<NirNeuronKernel>(spec, c));
}

KernelResult makeDelayKernel(const OperatorSpec& spec) {
  SPIKELINE_ASSIGN_OR_RETURN(uint32_t steps, delaySteps(spec));
  return std::unique_ptr<CpuKernel>(std::make_unique<DelayKernel>(spec, steps));
}

KernelResult makeScaleKernel(const OperatorSpec& spec) {
  SPIKELINE_ASSIGN_OR_RETURN(std::vector<float> w, scaleWeights(spec));
  return std::unique_ptr<CpuKernel>(std::make_unique<ScaleKernel>(spec, std::move(w)));
}

}  // namespace spikeline::hal::cpu
