#include "hal/cpu/cpu_backend.h"

#include <new>
#include <string>

#include "core/operator_catalog.h"
#include "hal/cpu/kernel.h"
#include "hal/op_params.h"
#include "hal/spec_validation.h"

namespace spikeline::hal {
namespace {

// Validates spec (hal/spec_validation.h); returns the spec with output_shape filled in.
Result<OperatorSpec> validate(const OperatorSpec& spec) {
  if (spec.precision != Precision::kFloat32 && spec.precision != Precision::kFixed) {
    return unimplemented("precision: cpu supports float32 and fixed, got " +
                         std::to_string(int(spec.precision)));
  }
  SPIKELINE_ASSIGN_OR_RETURN(OperatorSignature sig, validateSpec(spec));
  OperatorSpec out = spec;
  out.output_shape = sig.output_shape;
  return out;
}

cpu::KernelResult makeKernel(const OperatorSpec& spec, const cpu::KernelOptions& options) {
  const std::string& k = spec.kind;
  if (k.rfind("encode_", 0) == 0) return cpu::makeEncoderKernel(spec);
  if (k == "linear") return cpu::makeLinearKernel(spec, options);
  if (k == "conv2d" || k == "conv1d") return cpu::makeConv2dKernel(spec, options);
  if (k == "lif" || k == "if" || k == "recurrent_lif") return cpu::makeNeuronKernel(spec);
  if (k == "maxpool2d" || k == "avgpool2d" || k == "sumpool2d") return cpu::makePoolKernel(spec);
  if (k == "flatten" || k == "to_tokens" || k == "add" || k == "iand") {
    return cpu::makeElementwiseKernel(spec);
  }
  if (k == "self_attention") return cpu::makeAttentionKernel(spec);
  if (k == "graph_aggregate") return cpu::makeGraphKernel(spec);
  if (k == "readout") return cpu::makeReadoutKernel(spec);
  if (isNirNeuronKind(k)) return cpu::makeNirNeuronKernel(spec);
  if (k == "delay") return cpu::makeDelayKernel(spec);
  if (k == "scale") return cpu::makeScaleKernel(spec);
  return unimplemented("kind: cpu has no kernel for \"" + k + "\"");
}

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const CpuOptions& options) : options_(options) {}

  BackendInfo info() const override {
    return BackendInfo{
        BackendKind::kCpu, "cpu", options_.threads, {Precision::kFloat32, Precision::kFixed}};
  }

  Status supports(const OperatorSpec& spec) const override { return validate(spec).status(); }

  Result<std::unique_ptr<CompiledOperator>> compile(const OperatorSpec& spec) override {
    try {
      SPIKELINE_ASSIGN_OR_RETURN(OperatorSpec checked, validate(spec));
      SPIKELINE_ASSIGN_OR_RETURN(std::unique_ptr<cpu::CpuKernel> kernel,
                                 makeKernel(checked, kernelOptions()));
      return std::unique_ptr<CompiledOperator>(std::move(kernel));
    } catch (const std::bad_alloc&) {
      return resourceExhausted("cpu: out of memory compiling " + spec.name);
    }
  }

  Result<Tensor> run(const CompiledOperator& op, std::span<const Tensor* const> inputs,
                     const RunContext& ctx) override {
    const auto* kernel = dynamic_cast<const cpu::CpuKernel*>(&op);
    if (kernel == nullptr) return invalidArgument("op: was not compiled by the cpu backend");
    for (const Tensor* t : inputs) {
      if (t == nullptr) return invalidArgument("inputs: null input");
    }
    try {
      return kernel->run(inputs, ctx);
    } catch (const std::bad_alloc&) {
      return resourceExhausted("cpu: out of memory running " + op.spec().name);
    }
  }

  BackendHealth health() const override { return BackendHealth{}; }

 private:
  cpu::KernelOptions kernelOptions() const {
    const double c = options_.event_crossover;
    return c < 0.0 ? cpu::KernelOptions{} : cpu::KernelOptions{c, c, c};
  }

  CpuOptions options_;
};

}  // namespace

Result<std::unique_ptr<Backend>> makeCpuBackend(const CpuOptions& options) {
  if (options.threads < 1) return invalidArgument("cpu: threads must be >= 1");
  if (options.event_crossover != options.event_crossover) {
    return invalidArgument("cpu: event_crossover must be a number");
  }
  return std::unique_ptr<Backend>(std::make_unique<CpuBackend>(options));
}

}  // namespace spikeline::hal
