// conv2d over [Cin, H, W] -> [Cout, Ho, Wo] (and conv1d, as conv2d on [Cin, 1, L]) (stride,
// padding, dilation, groups; batch norm folded at compile). Spike input below the crossover density
// scatters each spike through the kernel (event-driven, weights stored [Cin][kH][kW][Cout/groups],
// accumulator channel-last); otherwise a weight-stationary dense loop.
#include <algorithm>

#include "hal/cpu/kernel.h"
#include "hal/cpu/simd.h"
#include "hal/math/fixed.h"
#include "hal/math/geometry.h"
#include "hal/op_params.h"

namespace spikeline::hal::cpu {
namespace {

using math::ConvGeometry;

class Conv2dKernel final : public CpuKernel {
 public:
  Conv2dKernel(const OperatorSpec& spec, const ConvGeometry& g, const DenseWeights& w,
               double crossover)
      : CpuKernel(spec), g_(g), crossover_(crossover) {
    if (fixed()) {
      FixedWeights q = quantizeDenseWeights(w, spec.frac_bits);
      shift_ = q.weight.shift;
      wq_ = std::move(q.weight.values);
      bias_q_ = std::move(q.bias_q);
      wtq_ = scatterLayout(wq_);
    } else {
      w_ = w.weight;
      bias_ = w.bias;
      wt_ = scatterLayout(w_);
    }
  }

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&) const override {
    SPIKELINE_RETURN_IF_ERROR(checkInputs(spec_, inputs, {Accepts::kEither}));
    const Tensor& x = *inputs[0];
    const uint32_t steps = tensorTimesteps(x);
    const size_t in_n = size_t(g_.cin) * g_.h * g_.w, plane = size_t(g_.ho) * g_.wo;
    const size_t out_n = plane * g_.cout;
    DenseTensor out(spec_.output_shape, steps, denseType(spec_));
    const auto* spikes = std::get_if<SpikeTensor>(&x);
    std::vector<float> xf(fixed() ? 0 : in_n), accf(fixed() ? 0 : out_n);
    std::vector<int32_t> xi(fixed() ? in_n : 0), acci(fixed() ? out_n : 0);
    std::vector<int64_t> acc64(fixed() ? plane : 0);
    for (uint32_t t = 0; t < steps; ++t) {
      const bool events =
          spikes != nullptr && double(spikes->countSpikes(t)) < crossover_ * double(in_n);
      if (fixed()) {
        auto y = out.mutableInts().subspan(t * out_n, out_n);
        if (events) {
          scatter(*spikes, t, wtq_, acci);
          for (uint32_t o = 0; o < g_.cout; ++o) {
            for (size_t p = 0; p < plane; ++p) {
              y[o * plane + p] =
                  math::accToActivation(acci[p * g_.cout + o], shift_, 0, frac(), bias_q_[o]);
            }
          }
        } else {
          const int in_bits = spikes != nullptr ? 0 : frac();
          stepAsInts(x, t, in_bits, xi);
          for (uint32_t o = 0; o < g_.cout; ++o) {
            std::fill(acc64.begin(), acc64.end(), 0);
            dense(o, wq_.data(), xi.data(), acc64.data());
            for (size_t p = 0; p < plane; ++p) {
              y[o * plane + p] =
                  math::accToActivation(acc64[p], shift_, in_bits, frac(), bias_q_[o]);
            }
          }
        }
      } else {
        auto y = out.mutableFloats().subspan(t * out_n, out_n);
        if (events) {
          scatter(*spikes, t, wt_, accf);
          for (uint32_t o = 0; o < g_.cout; ++o) {
            for (size_t p = 0; p < plane; ++p) y[o * plane + p] = accf[p * g_.cout + o] + bias_[o];
          }
        } else {
          stepAsFloats(x, t, xf);
          for (uint32_t o = 0; o < g_.cout; ++o) {
            float* yo = y.data() + o * plane;
            std::fill(yo, yo + plane, 0.0f);
            dense(o, w_.data(), xf.data(), yo);
            for (size_t p = 0; p < plane; ++p) yo[p] += bias_[o];
          }
        }
      }
    }
    return Tensor(std::move(out));
  }

 private:
  // PyTorch (Cout, Cin/g, kH, kW) -> [Cin][kH][kW][Cout/g].
  template <typename T>
  std::vector<T> scatterLayout(const std::vector<T>& w) const {
    const uint32_t cinpg = g_.cinPerGroup(), coutpg = g_.coutPerGroup();
    std::vector<T> t(w.size());
    for (uint32_t o = 0; o < g_.cout; ++o) {
      const uint32_t grp = o / coutpg;
      for (uint32_t cl = 0; cl < cinpg; ++cl) {
        for (uint32_t k = 0; k < g_.kh * g_.kw; ++k) {
          const size_t c = size_t(grp) * cinpg + cl;
          t[(c * g_.kh * g_.kw + k) * coutpg + o % coutpg] =
              w[(size_t(o) * cinpg + cl) * g_.kh * g_.kw + k];
        }
      }
    }
    return t;
  }

  // Event-driven: acc (channel-last [Ho][Wo][Cout]) = sum over spikes of their kernel taps.
  template <typename W, typename A>
  void scatter(const SpikeTensor& x, uint32_t t, const std::vector<W>& wt,
               std::vector<A>& acc) const {
    std::fill(acc.begin(), acc.end(), A{0});
    const uint32_t coutpg = g_.coutPerGroup(), cinpg = g_.cinPerGroup(), hw = g_.h * g_.w;
    x.forEachSpike(t, [&](uint32_t i) {
      const uint32_t c = i / hw, y = (i % hw) / g_.w, xx = i % g_.w;
      const size_t out_base = size_t(c / cinpg) * coutpg;
      for (uint32_t ky = 0; ky < g_.kh; ++ky) {
        const int64_t oy = ConvGeometry::outputIndex(y, ky, g_.stride_h, g_.pad_h, g_.dil_h, g_.ho);
        if (oy < 0) continue;
        for (uint32_t kx = 0; kx < g_.kw; ++kx) {
          const int64_t ox =
              ConvGeometry::outputIndex(xx, kx, g_.stride_w, g_.pad_w, g_.dil_w, g_.wo);
          if (ox < 0) continue;
          const W* row = wt.data() + ((size_t(c) * g_.kh + ky) * g_.kw + kx) * coutpg;
          addRow(acc.data() + (size_t(oy) * g_.wo + ox) * g_.cout + out_base, row, coutpg);
        }
      }
    });
  }

  // Dense, weight-stationary: acc[oy][ox] += w[o][cl][ky][kx] * x[c][iy][ix] for output channel o.
  template <typename W, typename X, typename A>
  void dense(uint32_t o, const W* w, const X* x, A* acc) const {
    const uint32_t cinpg = g_.cinPerGroup(), c0 = (o / g_.coutPerGroup()) * cinpg;
    for (uint32_t cl = 0; cl < cinpg; ++cl) {
      const X* xc = x + size_t(c0 + cl) * g_.h * g_.w;
      for (uint32_t ky = 0; ky < g_.kh; ++ky) {
        for (uint32_t kx = 0; kx < g_.kw; ++kx) {
          const A wv = A(w[((size_t(o) * cinpg + cl) * g_.kh + ky) * g_.kw + kx]);
          const int64_t dx = int64_t(kx) * g_.dil_w - g_.pad_w;
          // ox range with 0 <= ox*stride + dx < W.
          const int64_t lo = dx >= 0 ? 0 : (-dx + g_.stride_w - 1) / g_.stride_w;
          const int64_t hi =
              std::min<int64_t>(g_.wo, (int64_t(g_.w) - dx + g_.stride_w - 1) / g_.stride_w);
          for (uint32_t oy = 0; oy < g_.ho; ++oy) {
            const int64_t iy = int64_t(oy) * g_.stride_h - g_.pad_h + int64_t(ky) * g_.dil_h;
            if (iy < 0 || iy >= g_.h) continue;
            const X* row = xc + size_t(iy) * g_.w;
            A* arow = acc + size_t(oy) * g_.wo;
            for (int64_t ox = lo; ox < hi; ++ox) arow[ox] += wv * A(row[ox * g_.stride_w + dx]);
          }
        }
      }
    }
  }

  ConvGeometry g_;
  double crossover_;
  std::vector<float> w_, wt_, bias_;
  std::vector<int8_t> wq_, wtq_;
  std::vector<int32_t> bias_q_;
  int shift_ = 0;
};

}  // namespace

KernelResult makeConv2dKernel(const OperatorSpec& spec, const KernelOptions& options) {
  // conv1d runs as the conv2d it rewrites to; the kernel keeps the conv1d spec, so its inputs
  // are checked against [C, L] and its output is labelled [Cout, Lo] (same element order).
  const bool conv1d = spec.kind == "conv1d";
  OperatorSpec as2d;
  if (conv1d) {
    SPIKELINE_ASSIGN_OR_RETURN(as2d, conv1dAsConv2d(spec));
  }
  const OperatorSpec& s2 = conv1d ? as2d : spec;
  SPIKELINE_ASSIGN_OR_RETURN(ConvGeometry g, convGeometry(s2));
  SPIKELINE_ASSIGN_OR_RETURN(DenseWeights w, conv2dWeights(s2));
  if (uint64_t{g.cinPerGroup()} * g.kh * g.kw > (uint64_t{1} << 24)) {
    return unimplemented("weights.weight: " + spec.kind + " fan-in above 2^24 is not supported");
  }
  return std::unique_ptr<CpuKernel>(std::make_unique<Conv2dKernel>(spec, g, w, options.conv2d));
}

}  // namespace spikeline::hal::cpu
