// linear: out[o] = sum_i W[o][i] * x[i] + b[o], per timestep. Spike input below the crossover
// density takes the event-driven path (one contiguous row of the transposed weights per spike);
// otherwise (and for dense input) dense dot products over W [out][in], batched over timesteps.
#include <algorithm>

#include "hal/cpu/kernel.h"
#include "hal/cpu/simd.h"
#include "hal/math/fixed.h"
#include "hal/op_params.h"

namespace spikeline::hal::cpu {
namespace {

constexpr uint64_t kMaxFixedInputs = uint64_t{1} << 24;  // 127 * 2^24 < 2^31: int32 spike sums

class LinearKernel final : public CpuKernel {
 public:
  LinearKernel(const OperatorSpec& spec, const DenseWeights& w, double crossover)
      : CpuKernel(spec),
        in_(uint32_t(spec.input_shape.numel())),
        out_(w.out),
        crossover_(crossover) {
    if (fixed()) {
      FixedWeights q = quantizeDenseWeights(w, spec.frac_bits);
      shift_ = q.weight.shift;
      wq_ = std::move(q.weight.values);
      bias_q_ = std::move(q.bias_q);
      wtq_ = transpose(wq_);
    } else {
      w_ = w.weight;
      wt_ = transpose(w_);
      bias_ = w.bias;
    }
  }

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&) const override {
    SPIKELINE_RETURN_IF_ERROR(checkInputs(spec_, inputs, {Accepts::kEither}));
    const Tensor& x = *inputs[0];
    const uint32_t steps = tensorTimesteps(x);
    DenseTensor out(Shape{out_}, steps, denseType(spec_));
    const auto* spikes = std::get_if<SpikeTensor>(&x);
    std::vector<int32_t> acc(fixed() ? out_ : 0);
    std::vector<uint32_t> dense_steps, idx;
    for (uint32_t t = 0; t < steps; ++t) {
      const bool events =
          spikes != nullptr && double(spikes->countSpikes(t)) < crossover_ * double(in_);
      if (!events) {
        dense_steps.push_back(t);
      } else if (fixed()) {
        eventFixed(*spikes, t, out.mutableInts().subspan(size_t(t) * out_, out_), acc, idx);
      } else {
        eventFloat(*spikes, t, out.mutableFloats().subspan(size_t(t) * out_, out_), idx);
      }
    }
    for (size_t k = 0; k < dense_steps.size(); k += kBatch) {
      const std::span<const uint32_t> batch(dense_steps.data() + k,
                                            std::min(kBatch, dense_steps.size() - k));
      fixed() ? denseFixed(x, batch, out) : denseFloat(x, batch, out);
    }
    return Tensor(std::move(out));
  }

 private:
  // Dense timesteps are computed together, up to kBatch at once, so each weight row is read
  // from memory once per batch rather than once per timestep.
  static constexpr size_t kBatch = 16;

  template <typename T>
  std::vector<T> transpose(const std::vector<T>& w) const {
    std::vector<T> t(w.size());
    for (uint32_t o = 0; o < out_; ++o) {
      for (uint32_t i = 0; i < in_; ++i) t[size_t(i) * out_ + o] = w[size_t(o) * in_ + i];
    }
    return t;
  }

  static void spikeIndices(const SpikeTensor& x, uint32_t t, std::vector<uint32_t>& idx) {
    idx.clear();
    x.forEachSpike(t, [&](uint32_t i) { idx.push_back(i); });
  }

  void eventFloat(const SpikeTensor& x, uint32_t t, std::span<float> y,
                  std::vector<uint32_t>& idx) const {
    std::fill(y.begin(), y.end(), 0.0f);
    spikeIndices(x, t, idx);
    addIndexedRows(y.data(), wt_.data(), out_, idx.data(), idx.size(), out_);
    for (uint32_t o = 0; o < out_; ++o) y[o] += bias_[o];
  }

  void eventFixed(const SpikeTensor& x, uint32_t t, std::span<int32_t> y, std::vector<int32_t>& acc,
                  std::vector<uint32_t>& idx) const {
    std::fill(acc.begin(), acc.end(), 0);
    spikeIndices(x, t, idx);
    addIndexedRows(acc.data(), wtq_.data(), out_, idx.data(), idx.size(), out_);
    for (uint32_t o = 0; o < out_; ++o) {
      y[o] = math::accToActivation(acc[o], shift_, 0, frac(), bias_q_[o]);
    }
  }

  void denseFloat(const Tensor& x, std::span<const uint32_t> steps, DenseTensor& out) const {
    std::vector<float> xs(steps.size() * in_);
    for (size_t k = 0; k < steps.size(); ++k) {
      stepAsFloats(x, steps[k], std::span<float>(xs.data() + k * in_, in_));
    }
    auto y = out.mutableFloats();
    for (uint32_t o = 0; o < out_; ++o) {
      const float* row = w_.data() + size_t(o) * in_;
      for (size_t k = 0; k < steps.size(); ++k) {
        y[size_t(steps[k]) * out_ + o] = dot(row, xs.data() + k * in_, in_) + bias_[o];
      }
    }
  }

  void denseFixed(const Tensor& x, std::span<const uint32_t> steps, DenseTensor& out) const {
    const int in_bits = isSpikes(x) ? 0 : frac();  // spikes count 1 here; dense values are x_q
    std::vector<int32_t> xs(steps.size() * in_);
    for (size_t k = 0; k < steps.size(); ++k) {
      stepAsInts(x, steps[k], in_bits, std::span<int32_t>(xs.data() + k * in_, in_));
    }
    auto y = out.mutableInts();
    for (uint32_t o = 0; o < out_; ++o) {
      const int8_t* row = wq_.data() + size_t(o) * in_;
      for (size_t k = 0; k < steps.size(); ++k) {
        const int64_t acc = in_bits == 0 ? int64_t{dot32(row, xs.data() + k * in_, in_)}
                                         : dot(row, xs.data() + k * in_, in_);
        y[size_t(steps[k]) * out_ + o] =
            math::accToActivation(acc, shift_, in_bits, frac(), bias_q_[o]);
      }
    }
  }

  uint32_t in_, out_;
  double crossover_;
  std::vector<float> w_, wt_, bias_;
  std::vector<int8_t> wq_, wtq_;
  std::vector<int32_t> bias_q_;
  int shift_ = 0;
};

}  // namespace

KernelResult makeLinearKernel(const OperatorSpec& spec, const KernelOptions& options) {
  SPIKELINE_ASSIGN_OR_RETURN(DenseWeights w, linearWeights(spec));
  if (spec.precision == Precision::kFixed && spec.input_shape.numel() > kMaxFixedInputs) {
    return unimplemented("inputs: fixed linear supports at most 2^24 inputs");
  }
  return std::unique_ptr<CpuKernel>(std::make_unique<LinearKernel>(
      spec, w, spec.precision == Precision::kFixed ? options.linear_fixed : options.linear_float));
}

}  // namespace spikeline::hal::cpu
