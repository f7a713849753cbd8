// prepareStages (declared in worker.h): from topology + routes to compiled hosted stages.
#include "workers/worker.h"

namespace spikeline::workers {

Result<std::vector<HostedStage>> prepareStages(hal::Backend& backend, const Topology& topology,
                                               const std::vector<std::string>& hosted,
                                               const PipelineRoute& routes,
                                               bool allow_unrouted) {
  SPIKELINE_ASSIGN_OR_RETURN(std::vector<StagePlan> plans, planStages(topology));
  std::vector<std::string> names = hosted;
  if (names.empty()) {
    for (const StagePlan& p : plans) names.push_back(p.name);
  }
  std::vector<HostedStage> out;
  for (const std::string& name : names) {
    const int index = findStage(plans, name);
    if (index < 0) return invalidArgument("stage '" + name + "' is not in model " +
                                          topology.model.toString());
    HostedStage stage;
    stage.plan = plans[size_t(index)];
    SPIKELINE_ASSIGN_OR_RETURN(stage.program, compileStage(backend, stage.plan));
    if (size_t(index) + 1 < plans.size()) {
      const StagePlan& next = plans[size_t(index) + 1];
      const StageEndpoints* ep = routes.findStage(next.name);
      if (!allow_unrouted && (ep == nullptr || ep->endpoints.empty())) {
        return invalidArgument("routes name no replica for stage '" + next.name +
                               "' (the next stage after '" + name + "')");
      }
      if (ep != nullptr) stage.next_endpoints = ep->endpoints;
      stage.next_stage = next.name;
      stage.next_target = next.target;
    }
    out.push_back(std::move(stage));
  }
  return out;
}

Result<std::vector<HostedStage>> prepareMonolith(hal::Backend& backend, const Topology& topology) {
  SPIKELINE_ASSIGN_OR_RETURN(std::vector<StagePlan> plans, planStages(topology));
  if (plans.empty()) return invalidArgument("model " + topology.model.toString() + " has no stages");
  HostedStage stage;
  stage.plan = plans.front();
  SPIKELINE_ASSIGN_OR_RETURN(stage.program, compileStage(backend, plans.front()));
  for (size_t i = 1; i < plans.size(); ++i) {
    SPIKELINE_ASSIGN_OR_RETURN(auto program, compileStage(backend, plans[i]));
    stage.then.push_back(std::move(program));
  }
  std::vector<HostedStage> out;
  out.push_back(std::move(stage));
  return out;
}

}  // namespace spikeline::workers
