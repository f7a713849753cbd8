#include "hal/stage_program.h"

#include <algorithm>
#include <string>

namespace spikeline::hal {
namespace {

Status opError(const OperatorSpec& op, const Status& s) {
  return Status(s.code(), "op '" + op.name + "': " + s.message());
}

// Resolves op i's input names to earlier op indices (-1 = stage input).
Result<std::vector<int>> resolveSources(const std::vector<OperatorSpec>& ops, size_t i) {
  const OperatorSpec& op = ops[i];
  if (!isKnownOperatorKind(op.kind)) {
    return Status(StatusCode::kNotFound, "kind: unknown operator kind \"" + op.kind + "\"");
  }
  const size_t want = operatorInputCount(op.kind);
  if (op.inputs.empty()) return std::vector<int>(want, -1);
  if (op.inputs.size() != want) {
    return invalidArgument("inputs: " + op.kind + " takes " + std::to_string(want) +
                           " input(s), got " + std::to_string(op.inputs.size()));
  }
  std::vector<int> sources;
  for (const std::string& name : op.inputs) {
    if (name == kStageInputName) {
      sources.push_back(-1);
      continue;
    }
    int found = -1;
    for (size_t j = 0; j < i; ++j) {
      if (ops[j].name == name) found = int(j);
    }
    if (found < 0) {
      return invalidArgument("inputs: '" + name + "' is not an earlier operator of this stage (nor '" +
                             std::string(kStageInputName) + "', the stage input)");
    }
    sources.push_back(found);
  }
  return sources;
}

// The dense element type `op` takes: float32 in float32 precision; int32 (activations at
// 2^-frac_bits) in fixed precision, where encoders also quantise float32 themselves. Every backend
// checks the same per op (hal/cpu/kernel.h checkInputs, chip_io.h, cuda_ops_run.cpp).
bool takesDenseType(const OperatorSpec& op, DType t) {
  if (op.precision == Precision::kFloat32) return t == DType::kFloat32;
  return t == DType::kInt32 || op.kind.rfind("encode_", 0) == 0;
}

std::string denseTypeWanted(const OperatorSpec& op) {
  if (op.precision == Precision::kFloat32) return "float32 values (float32 precision)";
  std::string s = "int32 values at 2^-" + std::to_string(op.frac_bits) + " (fixed precision";
  return s + (op.kind.rfind("encode_", 0) == 0 ? ") or float32 values" : ")");
}

}  // namespace

Result<std::unique_ptr<StageProgram>> StageProgram::compile(Backend& backend,
                                                            std::vector<OperatorSpec> ops,
                                                            const StageInput& input) {
  if (ops.empty()) return invalidArgument("stage: has no operators");
  std::unique_ptr<StageProgram> p(new StageProgram(backend, input));
  p->last_use_.assign(ops.size(), ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    OperatorSpec& op = ops[i];
    Result<std::vector<int>> sources = resolveSources(ops, i);
    if (!sources.isOk()) return opError(op, sources.status());
    std::vector<Shape> shapes;
    std::vector<ValueKind> kinds;
    for (int s : *sources) {
      shapes.push_back(s < 0 ? input.shape : p->signatures_[size_t(s)].output_shape);
      kinds.push_back(s < 0 ? input.kind : p->signatures_[size_t(s)].output_kind);
      if (s >= 0) p->last_use_[size_t(s)] = i;
    }
    Result<OperatorSignature> sig = inferOperator(op, shapes, kinds);
    if (!sig.isOk()) return opError(op, sig.status());
    if (op.input_shape.rank() == 0) op.input_shape = shapes[0];
    if (op.output_shape.rank() == 0) op.output_shape = sig->output_shape;
    if (op.input_shape != shapes[0] || op.output_shape != sig->output_shape) {
      return opError(
          op, invalidArgument("input_shape/output_shape: declared " + op.input_shape.toString() +
                              " -> " + op.output_shape.toString() + ", the stage gives " +
                              shapes[0].toString() + " -> " + sig->output_shape.toString()));
    }
    Result<std::unique_ptr<CompiledOperator>> compiled = backend.compile(op);
    if (!compiled.isOk()) return opError(op, compiled.status());
    p->compiled_.push_back(std::move(compiled).value());
    p->signatures_.push_back(*sig);
    p->sources_.push_back(std::move(sources).value());
  }
  return p;
}

Status StageProgram::checkInput(const Tensor& input, const RunContext& ctx) const {
  if (tensorShape(input) != input_.shape) {
    return invalidArgument("stage input: shape " + tensorShape(input).toString() + ", expected " +
                           input_.shape.toString());
  }
  const ValueKind kind = isSpikes(input) ? ValueKind::kSpikes : ValueKind::kDense;
  if (kind != input_.kind) {
    return invalidArgument(std::string("stage input: ") +
                           (kind == ValueKind::kSpikes ? "spikes" : "dense values") + ", expected " +
                           (input_.kind == ValueKind::kSpikes ? "spikes" : "dense values"));
  }
  // Precision: dense values must be of the element type every op reading the stage input takes.
  // Each backend refuses a wrong one too, but only when that op runs: an op reading the stage
  // input late (a residual join) would refuse it after the ops before it computed. The wire
  // carries no fixed-point scale: int32 values are at the model's frac_bits (docs/limits.md).
  if (const auto* dense = std::get_if<DenseTensor>(&input)) {
    for (size_t i = 0; i < compiled_.size(); ++i) {
      const OperatorSpec& op = compiled_[i]->spec();
      const bool reads_input =
          std::find(sources_[i].begin(), sources_[i].end(), -1) != sources_[i].end();
      if (!reads_input || takesDenseType(op, dense->dtype())) continue;
      return invalidArgument(
          std::string("stage input: ") +
          (dense->dtype() == DType::kFloat32 ? "float32 values" : "int32 values") + ", op '" +
          op.name + "' (" + std::string(precisionName(op.precision)) + ") takes " +
          denseTypeWanted(op));
    }
  }
  // T is the model's, or 1 for dense values that hold for every step (a static image, logits).
  const uint32_t steps = tensorTimesteps(input);
  if (ctx.timesteps != 0 && steps != ctx.timesteps && !(steps == 1 && kind == ValueKind::kDense)) {
    return invalidArgument("stage input: T " + std::to_string(steps) + ", the model runs T " +
                           std::to_string(ctx.timesteps));
  }
  return Status::ok();
}

Result<Tensor> StageProgram::run(const Tensor& input, const RunContext& ctx) const {
  // Checked before any compute: a frame that does not fit the model must cost nothing.
  SPIKELINE_RETURN_IF_ERROR(checkInput(input, ctx));
  std::vector<Tensor> outputs(compiled_.size());
  for (size_t i = 0; i < compiled_.size(); ++i) {
    std::vector<const Tensor*> args;
    for (int s : sources_[i]) args.push_back(s < 0 ? &input : &outputs[size_t(s)]);
    Result<Tensor> out = backend_.run(*compiled_[i], args, ctx);
    if (!out.isOk()) return opError(compiled_[i]->spec(), out.status());
    outputs[i] = std::move(out).value();
    for (size_t j = 0; j < i; ++j) {
      if (last_use_[j] == i) outputs[j] = Tensor{};
    }
  }
  return std::move(outputs.back());
}

}  // namespace spikeline::hal
