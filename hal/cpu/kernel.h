// CpuKernel: one operator compiled for the CPU backend (internal to hal/cpu), plus the input checks
// and timestep views every kernel shares, and the per-family factories cpu_backend.cpp dispatches
// to. Kernels are immutable after compile; run() is const and safe concurrently.
#pragma once

#include <initializer_list>
#include <memory>
#include <span>
#include <vector>

#include "core/operator_spec.h"
#include "core/result.h"
#include "core/tensor.h"
#include "hal/backend.h"

namespace spikeline::hal::cpu {

// Event-driven below these spike densities (per timestep), dense at or above.
struct KernelOptions {
  double linear_float = 0.6;
  double linear_fixed = 2.0;
  double conv2d = 2.0;
};

class CpuKernel : public CompiledOperator {
 public:
  explicit CpuKernel(const OperatorSpec& spec) : spec_(spec) {}
  const OperatorSpec& spec() const final { return spec_; }
  // REQUIRES: inputs.size() == operatorInputCount(kind), no null pointers (cpu_backend checks).
  virtual Result<Tensor> run(std::span<const Tensor* const> inputs,
                             const RunContext& ctx) const = 0;

 protected:
  bool fixed() const { return spec_.precision == Precision::kFixed; }
  int frac() const { return static_cast<int>(spec_.frac_bits); }

  OperatorSpec spec_;
};

using KernelResult = Result<std::unique_ptr<CpuKernel>>;

enum class Accepts : uint8_t { kSpikes, kDense, kEither };

// Checks each input against the compiled spec: shape == spec.input_shape, kind allowed by the
// rule, dense dtype = float32 (float mode) or int32 (fixed mode; float32 too when allow_float),
// all inputs the same T >= 1. Messages start with "inputs: ".
Status checkInputs(const OperatorSpec& spec, std::span<const Tensor* const> inputs,
                   std::initializer_list<Accepts> rules, bool allow_float = false);

// Timestep t of a tensor as values: spikes become 0/1 (floats) or 2^frac_bits (ints).
// REQUIRES: out.size() == numel; dense tensors of the matching dtype.
void stepAsFloats(const Tensor& x, uint32_t t, std::span<float> out);
void stepAsInts(const Tensor& x, uint32_t t, int frac_bits, std::span<int32_t> out);

// The dense output dtype of the spec's precision.
inline DType denseType(const OperatorSpec& spec) {
  return spec.precision == Precision::kFixed ? DType::kInt32 : DType::kFloat32;
}

KernelResult makeEncoderKernel(const OperatorSpec& spec);
KernelResult makeLinearKernel(const OperatorSpec& spec, const KernelOptions& options);
// conv2d, and conv1d through conv1dAsConv2d (hal/op_params.h).
KernelResult makeConv2dKernel(const OperatorSpec& spec, const KernelOptions& options);
KernelResult makeNeuronKernel(const OperatorSpec& spec);
KernelResult makePoolKernel(const OperatorSpec& spec);
KernelResult makeElementwiseKernel(const OperatorSpec& spec);
KernelResult makeAttentionKernel(const OperatorSpec& spec);
KernelResult makeGraphKernel(const OperatorSpec& spec);
KernelResult makeReadoutKernel(const OperatorSpec& spec);
// nir_ops.cpp: li, integrator, cuba_li, cuba_lif, threshold; delay; scale.
KernelResult makeNirNeuronKernel(const OperatorSpec& spec);
KernelResult makeDelayKernel(const OperatorSpec& spec);
KernelResult makeScaleKernel(const OperatorSpec& spec);

}  // namespace spikeline::hal::cpu
