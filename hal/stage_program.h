// StageProgram: a stage's operators compiled on one Backend and run as a little DAG: an op's
// `inputs` name earlier ops of the stage or `input` (kStageInputName), the stage input; an op with
// empty inputs takes the stage input for every one of its inputs (e.g. q = k = v for
// self_attention). A residual join inside a stage names both, e.g. {"lif2", "input"}.
// The last op's output is the stage output.
// Owns its compiled operators; borrows the Backend, which must outlive it.
// Thread safety: run() is const and safe concurrently (frames are independent, no state kept).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "core/operator_catalog.h"
#include "core/operator_spec.h"
#include "core/result.h"
#include "core/tensor.h"
#include "hal/backend.h"

namespace spikeline::hal {

// The name an op's `inputs` use for the stage input (the topology's name for the model input).
inline constexpr std::string_view kStageInputName = "input";

// The per-timestep shape and kind of what enters the stage.
struct StageInput {
  Shape shape;
  ValueKind kind = ValueKind::kDense;
};

class StageProgram {
 public:
  // Validates every op with inferOperator (shapes and kinds flow from the stage input through the
  // DAG), fills each spec's input_shape/output_shape when empty (errors when they disagree), and
  // compiles each op on `backend`. Errors: kInvalidArgument naming the op ("op 'fc1': ..."),
  // kNotFound for an unknown kind, and whatever backend.compile returns.
  static Result<std::unique_ptr<StageProgram>> compile(Backend& backend,
                                                       std::vector<OperatorSpec> ops,
                                                       const StageInput& input);

  // Runs one frame ([T, input shape]) through every op in order. Before any op runs, a frame
  // whose shape, kind (spikes or dense), T or dense element type (float32 or int32, as the ops
  // reading the stage input take in their precision) is not the model's gets kInvalidArgument
  // naming what it is and what was expected.
  Result<Tensor> run(const Tensor& input, const RunContext& ctx) const;

  const OperatorSignature& output() const { return signatures_.back(); }
  size_t size() const { return compiled_.size(); }

 private:
  StageProgram(Backend& backend, StageInput input) : backend_(backend), input_(std::move(input)) {}
  // run()'s checks of the frame against the model, before any op runs.
  Status checkInput(const Tensor& input, const RunContext& ctx) const;

  Backend& backend_;
  StageInput input_;
  std::vector<std::unique_ptr<CompiledOperator>> compiled_;
  std::vector<OperatorSignature> signatures_;
  // sources_[i][k]: index of the op feeding input k of op i, or -1 for the stage input.
  std::vector<std::vector<int>> sources_;
  // last_use_[j]: the last op reading op j's output (its tensor is freed after that op ran).
  std::vector<size_t> last_use_;
};

}  // namespace spikeline::hal
