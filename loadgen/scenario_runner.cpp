#include "loadgen/scenario_runner.h"

#include "loadgen/load_driver.h"

namespace spikeline::loadgen {

Result<RunReport> runScenario(const Scenario& scenario, const ScenarioRunInputs& inputs) {
  if (inputs.target == nullptr || inputs.clock == nullptr || inputs.pacer == nullptr) {
    return invalidArgument("runScenario: target, clock and pacer are required");
  }
  DriverOptions options;
  options.recorder.request_timeout_ns = scenario.request_timeout_ns;
  options.recorder.labels = inputs.labels;
  options.actions = scenario.actions;
  options.action_sink = inputs.action_sink;
  LoadDriver driver(*inputs.target, *inputs.clock, *inputs.pacer, std::move(options));
  if (scenario.mode == LoadMode::kClosed) return driver.runClosedLoop(scenario.closed);
  SPIKELINE_ASSIGN_OR_RETURN(ArrivalSchedule schedule, ArrivalSchedule::make(scenario.schedule));
  return driver.runOpenLoop(std::move(schedule));
}

}  // namespace spikeline::loadgen
