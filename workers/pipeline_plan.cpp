#include "workers/pipeline_plan.h"

#include <map>
#include <set>

#include "core/operator_catalog.h"

namespace spikeline::workers {
namespace {

struct Produced {
  Shape shape;
  ValueKind kind = ValueKind::kDense;
};

// The shape and kind every operator outputs, chained from the model input.
Result<std::map<std::string, Produced>> chainOutputs(const Topology& topology) {
  const Produced model_input{topology.input_shape, topology.input_encoding == InputEncoding::kSpikes
                                                       ? ValueKind::kSpikes
                                                       : ValueKind::kDense};
  std::map<std::string, Produced> out;
  for (const OperatorSpec& op : topology.operators) {
    std::vector<Shape> shapes;
    std::vector<ValueKind> kinds;
    const size_t want = op.inputs.empty() ? operatorInputCount(op.kind) : op.inputs.size();
    for (size_t k = 0; k < want; ++k) {
      const Produced* src = &model_input;
      if (!op.inputs.empty()) {
        auto it = out.find(op.inputs[k]);
        if (it == out.end()) return invalidArgument("op '" + op.name + "': unknown input");
        src = &it->second;
      }
      shapes.push_back(src->shape);
      kinds.push_back(src->kind);
    }
    SPIKELINE_ASSIGN_OR_RETURN(OperatorSignature sig, inferOperator(op, shapes, kinds));
    out[op.name] = Produced{sig.output_shape, sig.output_kind};
  }
  return out;
}

Result<StagePlan> planStage(const Topology& topology, size_t index,
                            const std::map<std::string, Produced>& produced) {
  const Stage& stage = topology.stages[index];
  StagePlan plan{stage.name, index, {}, {}, {}};
  std::set<std::string> inside;
  std::set<std::string> crossing;
  for (const std::string& name : stage.operators) {
    const OperatorSpec* op = topology.findOperator(name);
    if (op == nullptr) return invalidArgument("stage '" + stage.name + "': unknown op " + name);
    OperatorSpec spec = *op;
    bool all_outside = true;
    for (const std::string& in : spec.inputs) {
      if (inside.count(in) != 0) all_outside = false;
      // The model input (named `input` where an op reads it beside another) is source "".
      if (inside.count(in) == 0) crossing.insert(in == hal::kStageInputName ? "" : in);
    }
    if (spec.inputs.empty()) crossing.insert("");
    if (all_outside) {
      spec.inputs.clear();
    } else {  // a residual join: the crossing tensor is the stage input
      for (std::string& in : spec.inputs) {
        if (inside.count(in) == 0) in = std::string(hal::kStageInputName);
      }
    }
    inside.insert(name);
    plan.ops.push_back(std::move(spec));
  }
  if (plan.ops.empty()) return invalidArgument("stage '" + stage.name + "' has no operators");
  if (crossing.size() != 1) {
    return unimplemented("stage '" + stage.name + "' is fed by more than one tensor");
  }
  plan.target = plan.ops.front().id;
  const std::string& source = *crossing.begin();
  if (source.empty()) {
    plan.input.shape = topology.input_shape;
    plan.input.kind = topology.input_encoding == InputEncoding::kSpikes ? ValueKind::kSpikes
                                                                        : ValueKind::kDense;
  } else {
    const Produced& p = produced.at(source);
    plan.input = hal::StageInput{p.shape, p.kind};
  }
  return plan;
}

}  // namespace

Result<std::vector<StagePlan>> planStages(const Topology& topology) {
  SPIKELINE_ASSIGN_OR_RETURN(auto produced, chainOutputs(topology));
  std::vector<StagePlan> plans;
  for (size_t i = 0; i < topology.stages.size(); ++i) {
    SPIKELINE_ASSIGN_OR_RETURN(StagePlan plan, planStage(topology, i, produced));
    plans.push_back(std::move(plan));
  }
  return plans;
}

Result<std::unique_ptr<hal::StageProgram>> compileStage(hal::Backend& backend,
                                                        const StagePlan& plan) {
  auto program = hal::StageProgram::compile(backend, plan.ops, plan.input);
  if (!program.isOk()) return program.status().withContext("stage '" + plan.name + "'");
  return program;
}

int findStage(const std::vector<StagePlan>& plans, const std::string& name) {
  for (const StagePlan& p : plans) {
    if (p.name == name) return static_cast<int>(p.index);
  }
  return -1;
}

}  // namespace spikeline::workers
