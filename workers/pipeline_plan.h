// StagePlan: one stage of a model as the data plane addresses and compiles it: its operators
// (inputs crossing the stage boundary rewritten as "the stage input"), the shape and kind that
// enter it, and the operator id frames for it are addressed to. A value type.
// planStages / compileStage are pure functions (compileStage borrows the backend).
// Thread safety: safe to call concurrently (the backend is thread-safe per hal/backend.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/ids.h"
#include "core/result.h"
#include "core/topology.h"
#include "hal/backend.h"
#include "hal/stage_program.h"

namespace spikeline::workers {

struct StagePlan {
  std::string name;
  size_t index = 0;         // position in the pipeline
  OperatorId target;        // id of the stage's first operator: frames are addressed to it
  std::vector<OperatorSpec> ops;
  hal::StageInput input;    // per-timestep shape and kind entering the stage
};

// Every stage of `topology` in pipeline order. kInvalidArgument for an operator named by a stage
// but missing, or a stage fed by more than one tensor from earlier stages (kUnimplemented).
Result<std::vector<StagePlan>> planStages(const Topology& topology);

// Compiles `plan` on `backend`; errors as hal::StageProgram::compile, prefixed with the stage.
Result<std::unique_ptr<hal::StageProgram>> compileStage(hal::Backend& backend,
                                                        const StagePlan& plan);

// The index of the stage named `name`, or -1.
int findStage(const std::vector<StagePlan>& plans, const std::string& name);

}  // namespace spikeline::workers
