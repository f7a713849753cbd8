// prepareStages (declared in worker.h): from topology + routes to compiled hosted stages.
#include "workers/worker.h"
#include "workers/timed_backend.h"

namespace spikeline::workers {
namespace {

// Compiles `plan` on `backend`, through a timing decorator owned by `stage` when `timing` asks.
Result<std::unique_ptr<hal::StageProgram>> compileTimed(hal::Backend& backend, const ModelRef& model,
                                                        const StagePlan& plan,
                                                        const OperatorTiming& timing,
                                                        HostedStage& stage) {
  if (timing.metrics == nullptr) return compileStage(backend, plan);
  stage.timed.push_back(makeTimedBackend(backend, *timing.metrics, *timing.clock, model, plan.name));
  return compileStage(*stage.timed.back(), plan);
}

constexpr std::string_view kOpPrefix = "op '";

}  // namespace

Status describeStageFailure(const Status& status, const std::string& stage,
                            const std::string& worker, const std::string& input_operator) {
  const std::string& msg = status.message();
  std::string where = "stage '" + stage + "'";
  std::string what = msg;
  const size_t end = msg.compare(0, kOpPrefix.size(), kOpPrefix) == 0
                         ? msg.find("': ", kOpPrefix.size())
                         : std::string::npos;
  if (end != std::string::npos) {
    where += " operator '" + msg.substr(kOpPrefix.size(), end - kOpPrefix.size()) + "'";
    what = msg.substr(end + 3);
  } else if (!input_operator.empty()) {
    where += " operator '" + input_operator + "'";
  }
  return Status(status.code(), where + " on worker '" + worker + "': " + what);
}

Result<std::vector<HostedStage>> prepareStages(hal::Backend& backend, const Topology& topology,
                                               const std::vector<std::string>& hosted,
                                               const PipelineRoute& routes,
                                               bool allow_unrouted, OperatorTiming timing) {
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
    SPIKELINE_ASSIGN_OR_RETURN(stage.program,
                               compileTimed(backend, topology.model, stage.plan, timing, stage));
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

Result<std::vector<HostedStage>> prepareMonolith(hal::Backend& backend, const Topology& topology,
                                                 OperatorTiming timing) {
  SPIKELINE_ASSIGN_OR_RETURN(std::vector<StagePlan> plans, planStages(topology));
  if (plans.empty()) return invalidArgument("model " + topology.model.toString() + " has no stages");
  HostedStage stage;
  stage.plan = plans.front();
  SPIKELINE_ASSIGN_OR_RETURN(stage.program,
                             compileTimed(backend, topology.model, plans.front(), timing, stage));
  for (size_t i = 1; i < plans.size(); ++i) {
    SPIKELINE_ASSIGN_OR_RETURN(auto program,
                               compileTimed(backend, topology.model, plans[i], timing, stage));
    stage.then.push_back(std::move(program));
  }
  std::vector<HostedStage> out;
  out.push_back(std::move(stage));
  return out;
}

}  // namespace spikeline::workers
