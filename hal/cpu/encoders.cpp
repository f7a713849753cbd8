// encode_direct / encode_rate / encode_latency. A one-step input ([1, S], e.g. a static image) is
// expanded to RunContext::timesteps steps (0 = keep the input's T). In fixed mode float input is
// quantised with math::toActivation (exact, so identical on every backend); int32 input is x_q.
#include "hal/cpu/kernel.h"
#include "hal/math/encode.h"
#include "hal/math/fixed.h"
#include "hal/math/hash.h"
#include "hal/op_params.h"

namespace spikeline::hal::cpu {
namespace {

enum class Encoding : uint8_t { kDirect, kRate, kLatency };

class EncoderKernel final : public CpuKernel {
 public:
  EncoderKernel(const OperatorSpec& spec, Encoding e, RateConfig rate, LatencyConfig latency)
      : CpuKernel(spec),
        encoding_(e),
        rate_(rate),
        latency_(latency),
        n_(uint32_t(spec.input_shape.numel())) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext& ctx) const override {
    SPIKELINE_RETURN_IF_ERROR(checkInputs(spec_, inputs, {Accepts::kDense}, /*allow_float=*/true));
    const DenseTensor& x = std::get<DenseTensor>(*inputs[0]);
    const uint32_t t_in = x.timesteps();
    uint32_t steps = t_in;
    if (ctx.timesteps != 0) {
      if (t_in != 1 && t_in != ctx.timesteps) {
        return invalidArgument("inputs: " + spec_.kind + " input has T = " + std::to_string(t_in) +
                               ", expected 1 or the model's T = " + std::to_string(ctx.timesteps));
      }
      steps = ctx.timesteps;
    }
    switch (encoding_) {
      case Encoding::kDirect:
        return direct(x, steps);
      case Encoding::kRate:
        return rate(x, steps, ctx);
      case Encoding::kLatency:
        return latency(x, steps);
    }
    return internalError("encoder: unknown encoding");
  }

 private:
  // Value i of input step t (step 0 when the input has one step), as float or x_q.
  float floatAt(const DenseTensor& x, uint32_t t, uint32_t i) const {
    const size_t step = x.timesteps() == 1 ? 0 : t;
    return x.floats()[step * n_ + i];
  }
  int32_t fixedAt(const DenseTensor& x, uint32_t t, uint32_t i) const {
    const size_t step = x.timesteps() == 1 ? 0 : t;
    if (x.dtype() == DType::kFloat32) return math::toActivation(x.floats()[step * n_ + i], frac());
    return x.ints()[step * n_ + i];
  }

  Result<Tensor> direct(const DenseTensor& x, uint32_t steps) const {
    DenseTensor out(spec_.input_shape, steps, denseType(spec_));
    for (uint32_t t = 0; t < steps; ++t) {
      for (uint32_t i = 0; i < n_; ++i) {
        if (fixed()) {
          out.mutableInts()[size_t(t) * n_ + i] = fixedAt(x, t, i);
        } else {
          out.mutableFloats()[size_t(t) * n_ + i] = floatAt(x, t, i);
        }
      }
    }
    return Tensor(std::move(out));
  }

  Result<Tensor> rate(const DenseTensor& x, uint32_t steps, const RunContext& ctx) const {
    SpikeTensor out(spec_.input_shape, steps);
    for (uint32_t t = 0; t < steps; ++t) {
      for (uint32_t i = 0; i < n_; ++i) {
        const uint64_t thr = fixed()
                                 ? math::rateThresholdFixed(fixedAt(x, t, i), rate_.gain_q, frac())
                                 : math::rateThresholdFloat(rate_.gain * double(floatAt(x, t, i)));
        if (math::rateSpike(rate_.seed, ctx.request_id, t, i, thr)) out.set(t, i);
      }
    }
    return Tensor(std::move(out));
  }

  Result<Tensor> latency(const DenseTensor& x, uint32_t steps) const {
    SpikeTensor out(spec_.input_shape, steps);
    for (uint32_t i = 0; i < n_; ++i) {
      const int64_t t =
          fixed() ? math::latencyStepFixed(fixedAt(x, 0, i), latency_.threshold_q, steps, frac())
                  : math::latencyStepFloat(floatAt(x, 0, i), latency_.threshold, steps);
      if (t >= 0 && t < int64_t{steps}) out.set(uint32_t(t), i);
    }
    return Tensor(std::move(out));
  }

  Encoding encoding_;
  RateConfig rate_;
  LatencyConfig latency_;
  uint32_t n_;
};

}  // namespace

KernelResult makeEncoderKernel(const OperatorSpec& spec) {
  Encoding e = Encoding::kDirect;
  RateConfig rate;
  LatencyConfig latency;
  if (spec.kind == "encode_rate") {
    e = Encoding::kRate;
    SPIKELINE_ASSIGN_OR_RETURN(rate, rateConfig(spec));
  } else if (spec.kind == "encode_latency") {
    e = Encoding::kLatency;
    SPIKELINE_ASSIGN_OR_RETURN(latency, latencyConfig(spec));
  } else if (spec.kind != "encode_direct") {
    return unimplemented("kind: unknown encoder \"" + spec.kind + "\"");
  }
  return std::unique_ptr<CpuKernel>(std::make_unique<EncoderKernel>(spec, e, rate, latency));
}

}  // namespace spikeline::hal::cpu
