// flatten (same values, shape [numel]), to_tokens ([C, H, W] -> [H*W, C], same values and
// kind), add (dense sum; spikes count 1.0; fixed saturates to int32) and iand ((NOT in0) AND in1
// on spikes, word by word).
#include "hal/cpu/kernel.h"
#include "hal/math/fixed.h"
#include "hal/math/geometry.h"
#include "hal/op_params.h"

namespace spikeline::hal::cpu {
namespace {

class FlattenKernel final : public CpuKernel {
 public:
  using CpuKernel::CpuKernel;
  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&) const override {
    SPIKELINE_RETURN_IF_ERROR(checkInputs(spec_, inputs, {Accepts::kEither}));
    const Shape flat{uint32_t(spec_.input_shape.numel())};
    if (const auto* s = std::get_if<SpikeTensor>(inputs[0])) {
      SpikeTensor out(flat, s->timesteps());
      std::copy(s->words().begin(), s->words().end(), out.mutableWords().begin());
      return Tensor(std::move(out));
    }
    const DenseTensor& d = std::get<DenseTensor>(*inputs[0]);
    if (d.dtype() == DType::kFloat32) {
      return Tensor(DenseTensor(flat, d.timesteps(),
                                std::vector<float>(d.floats().begin(), d.floats().end())));
    }
    return Tensor(
        DenseTensor(flat, d.timesteps(), std::vector<int32_t>(d.ints().begin(), d.ints().end())));
  }
};

class ToTokensKernel final : public CpuKernel {
 public:
  ToTokensKernel(const OperatorSpec& spec, math::TokenGeometry g) : CpuKernel(spec), g_(g) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&) const override {
    SPIKELINE_RETURN_IF_ERROR(checkInputs(spec_, inputs, {Accepts::kEither}));
    const uint32_t steps = tensorTimesteps(*inputs[0]);
    if (const auto* s = std::get_if<SpikeTensor>(inputs[0])) {
      SpikeTensor out(spec_.output_shape, steps);
      for (uint32_t t = 0; t < steps; ++t) {
        s->forEachSpike(t, [&](uint32_t i) { out.set(t, g_.targetOf(i)); });
      }
      return Tensor(std::move(out));
    }
    const DenseTensor& d = std::get<DenseTensor>(*inputs[0]);
    if (d.dtype() == DType::kFloat32) return Tensor(permute(d.floats(), steps));
    return Tensor(permute(d.ints(), steps));
  }

 private:
  template <typename T>
  DenseTensor permute(std::span<const T> x, uint32_t steps) const {
    const size_t n = size_t(g_.channels) * g_.plane;
    std::vector<T> y(x.size());
    for (uint32_t t = 0; t < steps; ++t) {
      for (uint32_t o = 0; o < n; ++o) y[t * n + o] = x[t * n + g_.sourceOf(o)];
    }
    return DenseTensor(spec_.output_shape, steps, std::move(y));
  }

  math::TokenGeometry g_;
};

class AddKernel final : public CpuKernel {
 public:
  using CpuKernel::CpuKernel;
  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&) const override {
    SPIKELINE_RETURN_IF_ERROR(checkInputs(spec_, inputs, {Accepts::kEither, Accepts::kEither}));
    const uint32_t steps = tensorTimesteps(*inputs[0]);
    const size_t n = spec_.input_shape.numel();
    DenseTensor out(spec_.input_shape, steps, denseType(spec_));
    if (fixed()) {
      std::vector<int32_t> a(n), b(n);
      for (uint32_t t = 0; t < steps; ++t) {
        stepAsInts(*inputs[0], t, frac(), a);
        stepAsInts(*inputs[1], t, frac(), b);
        int32_t* y = out.mutableInts().data() + t * n;
        for (size_t i = 0; i < n; ++i) y[i] = math::sat32(int64_t{a[i]} + b[i]);
      }
    } else {
      std::vector<float> a(n), b(n);
      for (uint32_t t = 0; t < steps; ++t) {
        stepAsFloats(*inputs[0], t, a);
        stepAsFloats(*inputs[1], t, b);
        float* y = out.mutableFloats().data() + t * n;
        for (size_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
      }
    }
    return Tensor(std::move(out));
  }
};

class IandKernel final : public CpuKernel {
 public:
  using CpuKernel::CpuKernel;
  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&) const override {
    SPIKELINE_RETURN_IF_ERROR(checkInputs(spec_, inputs, {Accepts::kSpikes, Accepts::kSpikes}));
    const auto& a = std::get<SpikeTensor>(*inputs[0]);
    const auto& b = std::get<SpikeTensor>(*inputs[1]);
    SpikeTensor out(spec_.input_shape, a.timesteps());
    auto y = out.mutableWords();
    for (size_t w = 0; w < y.size(); ++w) y[w] = ~a.words()[w] & b.words()[w];  // pads stay 0
    return Tensor(std::move(out));
  }
};

}  // namespace

KernelResult makeElementwiseKernel(const OperatorSpec& spec) {
  if (spec.kind == "flatten")
    return std::unique_ptr<CpuKernel>(std::make_unique<FlattenKernel>(spec));
  if (spec.kind == "to_tokens") {
    SPIKELINE_ASSIGN_OR_RETURN(math::TokenGeometry g, tokenGeometry(spec));
    return std::unique_ptr<CpuKernel>(std::make_unique<ToTokensKernel>(spec, g));
  }
  if (spec.kind == "add") return std::unique_ptr<CpuKernel>(std::make_unique<AddKernel>(spec));
  if (spec.kind == "iand") return std::unique_ptr<CpuKernel>(std::make_unique<IandKernel>(spec));
  return unimplemented("kind: \"" + spec.kind + "\" is not elementwise");
}

}  // namespace spikeline::hal::cpu
