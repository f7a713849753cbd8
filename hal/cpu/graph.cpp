// graph_aggregate over [nodes, F]: out[v] = sum over edges e with dst = v (CSR, listed order) of
// w_e * x[src_e], plus x[v] when self_loops. Fixed: int64 sum of w_q * x_q plus x_q[v] << shift,
// then accToActivation(acc, shift, F, F, 0). Spikes count 1.0.
#include "hal/cpu/kernel.h"
#include "hal/math/fixed.h"
#include "hal/op_params.h"

namespace spikeline::hal::cpu {
namespace {

class GraphKernel final : public CpuKernel {
 public:
  GraphKernel(const OperatorSpec& spec, GraphConfig c) : CpuKernel(spec), c_(std::move(c)) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&) const override {
    SPIKELINE_RETURN_IF_ERROR(checkInputs(spec_, inputs, {Accepts::kEither}));
    const uint32_t steps = tensorTimesteps(*inputs[0]);
    const uint32_t f = c_.features;
    const size_t n = size_t(c_.nodes) * f;
    DenseTensor out(spec_.input_shape, steps, denseType(spec_));
    std::vector<float> xf(fixed() ? 0 : n);
    std::vector<int32_t> xi(fixed() ? n : 0);
    std::vector<int64_t> acc(f);
    for (uint32_t t = 0; t < steps; ++t) {
      if (fixed()) {
        stepAsInts(*inputs[0], t, frac(), xi);
      } else {
        stepAsFloats(*inputs[0], t, xf);
      }
      for (uint32_t v = 0; v < c_.nodes; ++v) {
        if (fixed()) {
          aggregateFixed(v, xi, acc, out.mutableInts().subspan(t * n + size_t(v) * f, f));
        } else {
          aggregateFloat(v, xf, out.mutableFloats().subspan(t * n + size_t(v) * f, f));
        }
      }
    }
    return Tensor(std::move(out));
  }

 private:
  void aggregateFloat(uint32_t v, const std::vector<float>& x, std::span<float> y) const {
    const uint32_t f = c_.features;
    std::fill(y.begin(), y.end(), 0.0f);
    for (uint32_t e = c_.row_ptr[v]; e < c_.row_ptr[v + 1]; ++e) {
      const float* xs = x.data() + size_t(c_.src[e]) * f;
      for (uint32_t k = 0; k < f; ++k) y[k] += c_.weight[e] * xs[k];
    }
    if (c_.self_loops) {
      for (uint32_t k = 0; k < f; ++k) y[k] += x[size_t(v) * f + k];
    }
  }

  void aggregateFixed(uint32_t v, const std::vector<int32_t>& x, std::vector<int64_t>& acc,
                      std::span<int32_t> y) const {
    const uint32_t f = c_.features;
    const int shift = c_.weight_q.shift;
    std::fill(acc.begin(), acc.end(), 0);
    for (uint32_t e = c_.row_ptr[v]; e < c_.row_ptr[v + 1]; ++e) {
      const int32_t* xs = x.data() + size_t(c_.src[e]) * f;
      const int64_t w = c_.weight_q.values[e];
      for (uint32_t k = 0; k < f; ++k) acc[k] += w * xs[k];
    }
    if (c_.self_loops) {
      for (uint32_t k = 0; k < f; ++k) acc[k] += int64_t{x[size_t(v) * f + k]} << shift;
    }
    for (uint32_t k = 0; k < f; ++k) y[k] = math::accToActivation(acc[k], shift, frac(), frac(), 0);
  }

  GraphConfig c_;
};

}  // namespace

KernelResult makeGraphKernel(const OperatorSpec& spec) {
  SPIKELINE_ASSIGN_OR_RETURN(GraphConfig c, graphConfig(spec));
  return std::unique_ptr<CpuKernel>(std::make_unique<GraphKernel>(spec, std::move(c)));
}

}  // namespace spikeline::hal::cpu
