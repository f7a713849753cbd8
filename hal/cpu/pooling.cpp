// maxpool2d / avgpool2d / sumpool2d over [C, H, W]. Padding cells are skipped (max) or zero
// (avg/sum; avg divides by kH*kW). maxpool of spikes is an OR and stays spikes; spikes count 1.0.
#include <algorithm>
#include <limits>

#include "hal/cpu/kernel.h"
#include "hal/math/fixed.h"
#include "hal/math/geometry.h"
#include "hal/op_params.h"

namespace spikeline::hal::cpu {
namespace {

enum class Pool : uint8_t { kMax, kAvg, kSum };

class PoolKernel final : public CpuKernel {
 public:
  PoolKernel(const OperatorSpec& spec, const math::PoolGeometry& g, Pool p)
      : CpuKernel(spec), g_(g), pool_(p) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&) const override {
    SPIKELINE_RETURN_IF_ERROR(checkInputs(spec_, inputs, {Accepts::kEither}));
    const Tensor& x = *inputs[0];
    const uint32_t steps = tensorTimesteps(x);
    const size_t in_n = size_t(g_.c) * g_.h * g_.w, out_n = size_t(g_.c) * g_.ho * g_.wo;
    if (pool_ == Pool::kMax && isSpikes(x)) {
      SpikeTensor out(spec_.output_shape, steps);
      std::vector<float> xf(in_n), yf(out_n);
      for (uint32_t t = 0; t < steps; ++t) {
        stepAsFloats(x, t, xf);
        window<float>(xf.data(), yf.data());
        for (size_t i = 0; i < out_n; ++i) {
          if (yf[i] > 0.0f) out.set(t, uint32_t(i));
        }
      }
      return Tensor(std::move(out));
    }
    DenseTensor out(spec_.output_shape, steps, denseType(spec_));
    if (fixed()) {
      std::vector<int32_t> xi(in_n);
      for (uint32_t t = 0; t < steps; ++t) {
        stepAsInts(x, t, frac(), xi);
        window<int32_t>(xi.data(), out.mutableInts().data() + t * out_n);
      }
    } else {
      std::vector<float> xf(in_n);
      for (uint32_t t = 0; t < steps; ++t) {
        stepAsFloats(x, t, xf);
        window<float>(xf.data(), out.mutableFloats().data() + t * out_n);
      }
    }
    return Tensor(std::move(out));
  }

 private:
  template <typename V>
  void window(const V* x, V* y) const {
    using Acc = std::conditional_t<std::is_same_v<V, float>, float, int64_t>;
    const int64_t area = int64_t{g_.kh} * g_.kw;
    for (uint32_t c = 0; c < g_.c; ++c) {
      for (uint32_t oy = 0; oy < g_.ho; ++oy) {
        for (uint32_t ox = 0; ox < g_.wo; ++ox) {
          Acc sum = 0;
          V best = std::numeric_limits<V>::lowest();
          for (uint32_t ky = 0; ky < g_.kh; ++ky) {
            const int64_t iy = int64_t(oy) * g_.stride_h + ky - g_.pad_h;
            if (iy < 0 || iy >= g_.h) continue;
            for (uint32_t kx = 0; kx < g_.kw; ++kx) {
              const int64_t ix = int64_t(ox) * g_.stride_w + kx - g_.pad_w;
              if (ix < 0 || ix >= g_.w) continue;
              const V v = x[(size_t(c) * g_.h + iy) * g_.w + ix];
              sum += Acc(v);
              best = std::max(best, v);
            }
          }
          V& out = y[(size_t(c) * g_.ho + oy) * g_.wo + ox];
          if (pool_ == Pool::kMax) {
            out = best;
          } else if constexpr (std::is_same_v<V, float>) {
            out = pool_ == Pool::kAvg ? sum / float(area) : sum;
          } else {
            out = math::sat32(pool_ == Pool::kAvg ? math::floorDiv(sum, area) : sum);
          }
        }
      }
    }
  }

  math::PoolGeometry g_;
  Pool pool_;
};

}  // namespace

KernelResult makePoolKernel(const OperatorSpec& spec) {
  SPIKELINE_ASSIGN_OR_RETURN(math::PoolGeometry g, poolGeometry(spec));
  const Pool p = spec.kind == "maxpool2d"   ? Pool::kMax
                 : spec.kind == "avgpool2d" ? Pool::kAvg
                                            : Pool::kSum;
  return std::unique_ptr<CpuKernel>(std::make_unique<PoolKernel>(spec, g, p));
}

}  // namespace spikeline::hal::cpu
