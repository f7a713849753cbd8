// linear: out[r][o] = sum_i W[o][i] * x[r][i] + b[o], per timestep, for each of `rows` rows (1 in
// the flattening form; the per-row form applies the layer to every row of the last dimension).
// Spike input below the crossover density takes the event-driven path (one contiguous row of the
// transposed weights per spike, added to its row's outputs); otherwise (and for dense input)
// dense dot products over W [out][in], batched over timesteps.
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
  LinearKernel(const OperatorSpec& spec, const LinearLayout& layout, const DenseWeights& w,
               double crossover)
      : CpuKernel(spec),
        rows_(layout.rows),
        in_(layout.in),
        out_(layout.out),
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
    const size_t n_out = size_t(rows_) * out_;
    DenseTensor out(spec_.output_shape, steps, denseType(spec_));
    const auto* spikes = std::get_if<SpikeTensor>(&x);
    std::vector<int32_t> acc(fixed() ? n_out : 0);
    std::vector<uint32_t> dense_steps, idx;
    for (uint32_t t = 0; t < steps; ++t) {
      const bool events = spikes != nullptr &&
                          double(spikes->countSpikes(t)) < crossover_ * double(rows_) * double(in_);
      if (!events) {
        dense_steps.push_back(t);
      } else if (fixed()) {
        eventFixed(*spikes, t, out.mutableInts().subspan(size_t(t) * n_out, n_out), acc, idx);
      } else {
        eventFloat(*spikes, t, out.mutableFloats().subspan(size_t(t) * n_out, n_out), idx);
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

  // Adds, for every spike of step t, row i of the transposed weights `wt` to the outputs of the
  // spike's row r (input address r * in + i), into acc [rows][out]. `idx` is scratch.
  template <typename A, typename W>
  void addSpikeRows(const SpikeTensor& x, uint32_t t, const W* wt, A* acc,
                    std::vector<uint32_t>& idx) const {
    idx.clear();
    x.forEachSpike(t, [&](uint32_t i) { idx.push_back(i); });  // ascending: rows contiguous
    for (size_t a = 0; a < idx.size();) {
      const uint32_t r = idx[a] / in_, base = r * in_;
      size_t b = a;
      for (; b < idx.size() && idx[b] < base + in_; ++b) idx[b] -= base;
      addIndexedRows(acc + size_t(r) * out_, wt, out_, idx.data() + a, b - a, out_);
      a = b;
    }
  }

  void eventFloat(const SpikeTensor& x, uint32_t t, std::span<float> y,
                  std::vector<uint32_t>& idx) const {
    std::fill(y.begin(), y.end(), 0.0f);
    addSpikeRows(x, t, wt_.data(), y.data(), idx);
    for (uint32_t r = 0; r < rows_; ++r) {
      for (uint32_t o = 0; o < out_; ++o) y[size_t(r) * out_ + o] += bias_[o];
    }
  }

  void eventFixed(const SpikeTensor& x, uint32_t t, std::span<int32_t> y, std::vector<int32_t>& acc,
                  std::vector<uint32_t>& idx) const {
    std::fill(acc.begin(), acc.end(), 0);
    addSpikeRows(x, t, wtq_.data(), acc.data(), idx);
    for (uint32_t r = 0; r < rows_; ++r) {
      for (uint32_t o = 0; o < out_; ++o) {
        const size_t k = size_t(r) * out_ + o;
        y[k] = math::accToActivation(acc[k], shift_, 0, frac(), bias_q_[o]);
      }
    }
  }

  // Output (step, row, o) of a batch: y[(steps[k] * rows + r) * out + o].
  size_t outIndex(uint32_t step, uint32_t r, uint32_t o) const {
    return (size_t(step) * rows_ + r) * out_ + o;
  }

  void denseFloat(const Tensor& x, std::span<const uint32_t> steps, DenseTensor& out) const {
    const size_t n_in = size_t(rows_) * in_;
    std::vector<float> xs(steps.size() * n_in);
    for (size_t k = 0; k < steps.size(); ++k) {
      stepAsFloats(x, steps[k], std::span<float>(xs.data() + k * n_in, n_in));
    }
    auto y = out.mutableFloats();
    for (uint32_t o = 0; o < out_; ++o) {
      const float* row = w_.data() + size_t(o) * in_;
      for (size_t k = 0; k < steps.size(); ++k) {
        for (uint32_t r = 0; r < rows_; ++r) {
          y[outIndex(steps[k], r, o)] =
              dot(row, xs.data() + k * n_in + size_t(r) * in_, in_) + bias_[o];
        }
      }
    }
  }

  void denseFixed(const Tensor& x, std::span<const uint32_t> steps, DenseTensor& out) const {
    const int in_bits = isSpikes(x) ? 0 : frac();  // spikes count 1 here; dense values are x_q
    const size_t n_in = size_t(rows_) * in_;
    std::vector<int32_t> xs(steps.size() * n_in);
    for (size_t k = 0; k < steps.size(); ++k) {
      stepAsInts(x, steps[k], in_bits, std::span<int32_t>(xs.data() + k * n_in, n_in));
    }
    auto y = out.mutableInts();
    for (uint32_t o = 0; o < out_; ++o) {
      const int8_t* row = wq_.data() + size_t(o) * in_;
      for (size_t k = 0; k < steps.size(); ++k) {
        for (uint32_t r = 0; r < rows_; ++r) {
          const int32_t* xr = xs.data() + k * n_in + size_t(r) * in_;
          const int64_t acc = in_bits == 0 ? int64_t{dot32(row, xr, in_)} : dot(row, xr, in_);
          y[outIndex(steps[k], r, o)] =
              math::accToActivation(acc, shift_, in_bits, frac(), bias_q_[o]);
        }
      }
    }
  }

  uint32_t rows_, in_, out_;
  double crossover_;
  std::vector<float> w_, wt_, bias_;
  std::vector<int8_t> wq_, wtq_;
  std::vector<int32_t> bias_q_;
  int shift_ = 0;
};

}  // namespace

KernelResult makeLinearKernel(const OperatorSpec& spec, const KernelOptions& options) {
  SPIKELINE_ASSIGN_OR_RETURN(LinearLayout layout, linearLayout(spec));
  SPIKELINE_ASSIGN_OR_RETURN(DenseWeights w, linearWeights(spec));
  if (spec.precision == Precision::kFixed && layout.in > kMaxFixedInputs) {
    return unimplemented("inputs: fixed linear supports at most 2^24 inputs per output");
  }
  return std::unique_ptr<CpuKernel>(std::make_unique<LinearKernel>(
      spec, layout, w,
      spec.precision == Precision::kFixed ? options.linear_fixed : options.linear_float));
}

}  // namespace spikeline::hal::cpu
