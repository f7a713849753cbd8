// Monolith: every stage of a model compiled on one backend and chained in one process, no
// sockets (decision 0003 §7): the bit-exact reference for the pipeline and its throughput
// baseline. Owns its StagePrograms; borrows the backend, which must outlive it.
// Thread safety: run() is const and safe concurrently (StageProgram::run is).
#pragma once

#include <memory>
#include <vector>

#include "core/ids.h"
#include "core/result.h"
#include "core/tensor.h"
#include "core/topology.h"
#include "hal/backend.h"
#include "hal/stage_program.h"

namespace spikeline::workers {

// The RunContext every hop uses for a request, so the pipeline and the monolith agree (the rate
// encoder seeds from the request id).
hal::RunContext runContextFor(const Topology& topology, RequestId request_id);

class Monolith {
 public:
  // Errors as planStages / compileStage.
  static Result<std::unique_ptr<Monolith>> make(hal::Backend& backend, const Topology& topology);

  // Runs `input` through every stage in order. Errors: the first failing stage's, with its name.
  Result<Tensor> run(const Tensor& input, RequestId request_id) const;

  size_t stageCount() const { return stages_.size(); }

 private:
  explicit Monolith(Topology topology) : topology_(std::move(topology)) {}
  Topology topology_;
  std::vector<std::unique_ptr<hal::StageProgram>> stages_;
};

}  // namespace spikeline::workers
