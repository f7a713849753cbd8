// self_attention (Spikformer SSA) on spikes q, k, v [tokens, dim], per timestep and head:
// out[i][c] = scale * sum_j (sum_{d in head} q[i][d] k[j][d]) v[j][c]. The sum is an exact integer
// count; float: float(count) * scale; fixed: sat32(rescale(count * scale_q, 16, F)).
#include <cstdint>

#include "hal/cpu/kernel.h"
#include "hal/math/fixed.h"
#include "hal/op_params.h"

namespace spikeline::hal::cpu {
namespace {

class AttentionKernel final : public CpuKernel {
 public:
  AttentionKernel(const OperatorSpec& spec, const AttentionConfig& c)
      : CpuKernel(spec), c_(c), tokens_(spec.input_shape[0]), dim_(spec.input_shape[1]) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&) const override {
    SPIKELINE_RETURN_IF_ERROR(
        checkInputs(spec_, inputs, {Accepts::kSpikes, Accepts::kSpikes, Accepts::kSpikes}));
    const uint32_t steps = tensorTimesteps(*inputs[0]);
    const size_t n = size_t(tokens_) * dim_;
    DenseTensor out(spec_.input_shape, steps, denseType(spec_));
    std::vector<float> q(n), k(n), v(n);
    std::vector<int64_t> count(n), scores(tokens_);
    const uint32_t dh = dim_ / c_.heads;
    for (uint32_t t = 0; t < steps; ++t) {
      stepAsFloats(*inputs[0], t, q);
      stepAsFloats(*inputs[1], t, k);
      stepAsFloats(*inputs[2], t, v);
      std::fill(count.begin(), count.end(), 0);
      for (uint32_t h = 0; h < c_.heads; ++h) {
        const uint32_t d0 = h * dh;
        for (uint32_t i = 0; i < tokens_; ++i) {
          for (uint32_t j = 0; j < tokens_; ++j) {
            int64_t s = 0;
            for (uint32_t d = d0; d < d0 + dh; ++d)
              s += (q[i * dim_ + d] > 0) & (k[j * dim_ + d] > 0);
            scores[j] = s;
          }
          for (uint32_t j = 0; j < tokens_; ++j) {
            if (scores[j] == 0) continue;
            for (uint32_t d = d0; d < d0 + dh; ++d)
              count[i * dim_ + d] += v[j * dim_ + d] > 0 ? scores[j] : 0;
          }
        }
      }
      for (size_t i = 0; i < n; ++i) {
        if (fixed()) {
          out.mutableInts()[t * n + i] =
              math::sat32(math::rescale(count[i] * c_.scale_q, math::kDecayBits, frac()));
        } else {
          out.mutableFloats()[t * n + i] = float(count[i]) * c_.scale;
        }
      }
    }
    return Tensor(std::move(out));
  }

 private:
  AttentionConfig c_;
  uint32_t tokens_, dim_;
};

}  // namespace

KernelResult makeAttentionKernel(const OperatorSpec& spec) {
  SPIKELINE_ASSIGN_OR_RETURN(AttentionConfig c, attentionConfig(spec));
  return std::unique_ptr<CpuKernel>(std::make_unique<AttentionKernel>(spec, c));
}

}  // namespace spikeline::hal::cpu
