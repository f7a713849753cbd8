// Operators without synapses on the chip: encoders, pooling, flatten, add, iand. Each core
// computes the output neurons of its slice from the input values the router delivers to it
// (pooling reads its windows; the others are 1:1), with the shared math of hal/math.
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "hal/chip/chip_io.h"
#include "hal/chip/chip_mapper.h"
#include "hal/chip/chip_programs.h"
#include "hal/math/encode.h"
#include "hal/math/fixed.h"
#include "hal/math/geometry.h"
#include "hal/math/hash.h"
#include "hal/op_params.h"

namespace spikeline::hal {
namespace {

enum class Encoding : uint8_t { kDirect, kRate, kLatency };

class EncoderProgram final : public ChipProgram {
 public:
  EncoderProgram(const OperatorSpec& spec, Encoding e, RateConfig rate, LatencyConfig latency,
                 std::vector<NeuronRange> slices)
      : spec_(spec), encoding_(e), rate_(rate), latency_(latency), slices_(std::move(slices)) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext& ctx,
                     CoreActivity& activity) const override {
    const uint32_t n = static_cast<uint32_t>(spec_.input_shape.numel());
    SPIKELINE_ASSIGN_OR_RETURN(uint32_t t_in, checkInputs(inputs, 1, {n, true}, spec_));
    const Tensor& x = *inputs[0];
    if (isSpikes(x))
      return invalidArgument("inputs: " + spec_.kind + " input 0 must be dense values, got spikes");
    uint32_t steps = t_in;
    if (ctx.timesteps != 0) {
      if (t_in != 1 && t_in != ctx.timesteps) {
        return invalidArgument("inputs: " + spec_.kind + " input has T = " + std::to_string(t_in) +
                               ", expected 1 or the model's T = " + std::to_string(ctx.timesteps));
      }
      steps = ctx.timesteps;
    }
    const int f = static_cast<int>(spec_.frac_bits);
    // The value of neuron i at step t (a one-step input is held for every step).
    auto at = [&](uint32_t t, uint32_t i) { return activationAt(x, t_in == 1 ? 0 : t, i, f); };
    if (encoding_ == Encoding::kDirect) {
      DenseTensor out(spec_.input_shape, steps, DType::kInt32);
      forEachNeuron(steps, activity, [&](uint32_t t, uint32_t i) {
        out.mutableInts()[size_t(t) * n + i] = at(t, i);
      });
      return Tensor(std::move(out));
    }
    SpikeTensor out(spec_.input_shape, steps);
    if (encoding_ == Encoding::kRate) {
      forEachNeuron(steps, activity, [&](uint32_t t, uint32_t i) {
        const uint64_t thr = math::rateThresholdFixed(at(t, i), rate_.gain_q, f);
        if (math::rateSpike(rate_.seed, ctx.request_id, t, i, thr)) out.set(t, i);
      });
    } else {
      forEachNeuron(1, activity, [&](uint32_t, uint32_t i) {
        const int64_t t = math::latencyStepFixed(at(0, i), latency_.threshold_q, steps, f);
        if (t >= 0 && t < int64_t{steps}) out.set(static_cast<uint32_t>(t), i);
      });
    }
    return Tensor(std::move(out));
  }

 private:
  // Every core computes its slice, step by step.
  template <typename Fn>
  void forEachNeuron(uint32_t steps, CoreActivity& activity, Fn&& fn) const {
    for (uint32_t t = 0; t < steps; ++t) {
      for (const NeuronRange& r : slices_) {
        for (uint32_t i = r.begin; i < r.end; ++i) fn(t, i);
        activity.neuron_updates += r.end - r.begin;
      }
    }
  }

  OperatorSpec spec_;
  Encoding encoding_;
  RateConfig rate_;
  LatencyConfig latency_;
  std::vector<NeuronRange> slices_;
};

enum class Pool : uint8_t { kMax, kAvg, kSum };

class PoolProgram final : public ChipProgram {
 public:
  PoolProgram(const OperatorSpec& spec, const math::PoolGeometry& g, Pool p,
              std::vector<NeuronRange> slices)
      : spec_(spec), g_(g), pool_(p), slices_(std::move(slices)) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&,
                     CoreActivity& activity) const override {
    const uint64_t in_n = uint64_t{g_.c} * g_.h * g_.w;
    const size_t out_n = size_t(g_.c) * g_.ho * g_.wo;
    SPIKELINE_ASSIGN_OR_RETURN(uint32_t steps, checkInputs(inputs, 1, {in_n, false}, spec_));
    const Tensor& x = *inputs[0];
    const int f = static_cast<int>(spec_.frac_bits);
    const Shape out_shape{g_.c, g_.ho, g_.wo};
    const bool spikes_out = pool_ == Pool::kMax && isSpikes(x);
    SpikeTensor spikes(spikes_out ? out_shape : Shape{}, spikes_out ? steps : 0);
    DenseTensor dense(out_shape, spikes_out ? 0 : steps, DType::kInt32);
    std::vector<int32_t> xi(in_n);
    for (uint32_t t = 0; t < steps; ++t) {
      for (uint32_t i = 0; i < in_n; ++i) xi[i] = activationAt(x, t, i, f);
      for (const NeuronRange& r : slices_) {
        for (uint32_t o = r.begin; o < r.end; ++o) {
          const int32_t y = window(xi.data(), o);
          if (spikes_out) {
            if (y > 0) spikes.set(t, o);
          } else {
            dense.mutableInts()[size_t(t) * out_n + o] = y;
          }
        }
        activity.neuron_updates += r.end - r.begin;
      }
    }
    if (spikes_out) return Tensor(std::move(spikes));
    return Tensor(std::move(dense));
  }

 private:
  // Output neuron o over its window (padding skipped by max, zero for avg/sum).
  int32_t window(const int32_t* x, uint32_t o) const {
    const uint32_t c = o / (g_.ho * g_.wo), oy = (o / g_.wo) % g_.ho, ox = o % g_.wo;
    int64_t sum = 0;
    int32_t best = std::numeric_limits<int32_t>::lowest();
    for (uint32_t ky = 0; ky < g_.kh; ++ky) {
      const int64_t iy = int64_t(oy) * g_.stride_h + ky - g_.pad_h;
      if (iy < 0 || iy >= g_.h) continue;
      for (uint32_t kx = 0; kx < g_.kw; ++kx) {
        const int64_t ix = int64_t(ox) * g_.stride_w + kx - g_.pad_w;
        if (ix < 0 || ix >= g_.w) continue;
        const int32_t v = x[(size_t(c) * g_.h + iy) * g_.w + ix];
        sum += v;
        best = std::max(best, v);
      }
    }
    if (pool_ == Pool::kMax) return best;
    if (pool_ == Pool::kAvg) return math::sat32(math::floorDiv(sum, int64_t{g_.kh} * g_.kw));
    return math::sat32(sum);
  }

  OperatorSpec spec_;
  math::PoolGeometry g_;
  Pool pool_;
  std::vector<NeuronRange> slices_;
};

}  // namespace

ProgramResult buildEncoderProgram(const OperatorSpec& spec, const OperatorSignature&,
                                  const ChipPlacement& placement) {
  Encoding e = Encoding::kDirect;
  RateConfig rate;
  LatencyConfig latency;
  if (spec.kind == "encode_rate") {
    e = Encoding::kRate;
    SPIKELINE_ASSIGN_OR_RETURN(rate, rateConfig(spec));
  } else if (spec.kind == "encode_latency") {
    e = Encoding::kLatency;
    SPIKELINE_ASSIGN_OR_RETURN(latency, latencyConfig(spec));
  }
  return std::unique_ptr<ChipProgram>(
      std::make_unique<EncoderProgram>(spec, e, rate, latency, sliceRanges(placement)));
}

ProgramResult buildPoolProgram(const OperatorSpec& spec, const OperatorSignature&,
                               const ChipPlacement& placement) {
  SPIKELINE_ASSIGN_OR_RETURN(math::PoolGeometry g, poolGeometry(spec));
  const Pool p = spec.kind == "maxpool2d"   ? Pool::kMax
                 : spec.kind == "avgpool2d" ? Pool::kAvg
                                            : Pool::kSum;
  return std::unique_ptr<ChipProgram>(
      std::make_unique<PoolProgram>(spec, g, p, sliceRanges(placement)));
}

}  // namespace spikeline::hal
