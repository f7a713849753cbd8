#include "workers/monolith.h"

#include "workers/pipeline_plan.h"

namespace spikeline::workers {

hal::RunContext runContextFor(const Topology& topology, RequestId request_id) {
  return hal::RunContext{request_id, topology.timesteps};
}

Result<std::unique_ptr<Monolith>> Monolith::make(hal::Backend& backend, const Topology& topology) {
  SPIKELINE_ASSIGN_OR_RETURN(std::vector<StagePlan> plans, planStages(topology));
  std::unique_ptr<Monolith> m(new Monolith(topology));
  for (const StagePlan& plan : plans) {
    SPIKELINE_ASSIGN_OR_RETURN(auto program, compileStage(backend, plan));
    m->stages_.push_back(std::move(program));
  }
  return m;
}

Result<Tensor> Monolith::run(const Tensor& input, RequestId request_id) const {
  const hal::RunContext ctx = runContextFor(topology_, request_id);
  Tensor current = input;
  for (size_t i = 0; i < stages_.size(); ++i) {
    Result<Tensor> out = stages_[i]->run(current, ctx);
    if (!out.isOk()) return out.status().withContext("stage '" + topology_.stages[i].name + "'");
    current = std::move(out).value();
  }
  return current;
}

}  // namespace spikeline::workers
