#include "loadgen/cli/pipeline_run.h"

#include <cstdio>
#include <utility>

#include "loadgen/cli/process_action_sink.h"
#include "loadgen/cli/progress.h"
#include "loadgen/plot.h"
#include "loadgen/report_writer.h"
#include "loadgen/scenario_runner.h"
#include "topology/topology_loader.h"
#include "transport/curve.h"
#include "workers/client/broker_routes.h"
#include "workers/client/loadgen_target.h"
#include "workers/route_file.h"

namespace spikeline::loadgen::cli {
namespace {

constexpr int64_t kNsPerS = 1'000'000'000;

Result<workers::StaticRoutes> staticRoutes(const LoadgenOptions& o, Topology& topology) {
  workers::StaticRoutes routes;
  if (!o.routes.empty()) {
    SPIKELINE_ASSIGN_OR_RETURN(routes, workers::parseRouteFile(o.routes));
  } else {
    routes.topology_path = o.topology;
  }
  SPIKELINE_ASSIGN_OR_RETURN(topology, topology::loadTopologyFile(routes.topology_path));
  if (topology.stages.empty()) return invalidArgument("the topology has no stages");
  if (!o.endpoint.empty()) routes.stages = {{topology.stages.front().name, {o.endpoint}}};
  if (!o.model.empty() && o.model != topology.model.toString()) {
    return invalidArgument("--model " + o.model + " but the topology serves " +
                           topology.model.toString());
  }
  return routes;
}

Result<std::unique_ptr<ActionSink>> actionSink(const LoadgenOptions& o) {
  ProcessActionOptions actions;
  if (!o.pid_file.empty()) {
    SPIKELINE_ASSIGN_OR_RETURN(actions.pids, readPidFile(o.pid_file));
  }
  for (const std::string& a : o.pids) {
    SPIKELINE_ASSIGN_OR_RETURN(auto kv, splitAssignment(a));
    SPIKELINE_ASSIGN_OR_RETURN(actions.pids[kv.first], parsePid(kv.second));
  }
  for (const std::string& a : o.worker_endpoints) {
    SPIKELINE_ASSIGN_OR_RETURN(auto kv, splitAssignment(a));
    actions.endpoints[kv.first] = kv.second;
  }
  actions.restart_broker_command = o.restart_broker_cmd;
  return makeProcessActionSink(std::move(actions));
}

}  // namespace

Result<Scenario> scenarioFromFlags(const LoadgenOptions& o) {
  Scenario s;
  // A request is lost only well after its deadline, so a deadline error counts as an error.
  s.request_timeout_ns = o.deadline_ms * 1'000'000 + kNsPerS;
  const auto warmup_ns = int64_t(o.warmup_s * kNsPerS);
  const auto duration_ns = int64_t(o.duration_s * kNsPerS);
  if (o.concurrency > 0) {
    s.name = "closed-" + std::to_string(o.concurrency);
    s.mode = LoadMode::kClosed;
    s.closed = ClosedLoopSpec{o.concurrency, warmup_ns, duration_ns};
    return s;
  }
  s.name = "open-" + o.arrivals;
  s.schedule.process = o.arrivals == "poisson" ? ArrivalProcess::kPoisson : ArrivalProcess::kConstant;
  s.schedule.seed = o.seed;
  if (warmup_ns > 0) s.schedule.phases.push_back(Phase::warmup(warmup_ns, o.rate));
  s.schedule.phases.push_back(Phase::steady(duration_ns, o.rate));
  SPIKELINE_RETURN_IF_ERROR(validateSchedule(s.schedule));
  return s;
}

Result<std::unique_ptr<PipelineRun>> preparePipelineRun(const LoadgenOptions& o) {
  auto run = std::make_unique<PipelineRun>();
  SPIKELINE_ASSIGN_OR_RETURN(workers::StaticRoutes routes, staticRoutes(o, run->topology));
  if (!o.scenario.empty()) {
    SPIKELINE_ASSIGN_OR_RETURN(run->scenario, loadScenarioFile(o.scenario));
  } else {
    SPIKELINE_ASSIGN_OR_RETURN(run->scenario, scenarioFromFlags(o));
  }
  InputSpec input = o.input;
  input.seed = o.seed;
  SPIKELINE_ASSIGN_OR_RETURN(run->inputs, loadInputs(input, run->topology.input_shape, run->topology.timesteps));
  SPIKELINE_ASSIGN_OR_RETURN(run->action_sink, actionSink(o));
  std::vector<std::string> order;
  for (const Stage& s : run->topology.stages) order.push_back(s.name);
  run->route = workers::makeStaticRouteSource(routes, run->topology.model, order)->current();
  run->clock = makeSystemClock();
  run->pacer = makeRealPacer(*run->clock);
  client::ClientOptions client_options;
  client_options.name = "loadgen-" + std::to_string(::getpid());
  client_options.bind = o.bind;
  client_options.advertise = o.advertise;
  // CURVE (docs/decisions/0010) from SPIKELINE_CURVE_KEY / _TRUST / _BROKER_KEY, as every process
  // takes them; plaintext off loopback only with SPIKELINE_INSECURE=1.
  const transport::CurveFlags curve = transport::curveFlagsFromEnvironment({});
  SPIKELINE_ASSIGN_OR_RETURN(client_options.curve,
                             transport::loadCurveIdentity(curve, !o.broker.empty()));
  for (const std::string& endpoint : {o.bind, o.advertise}) {
    if (endpoint.empty()) continue;
    SPIKELINE_RETURN_IF_ERROR(transport::requireCurveOffLoopback(
        client_options.curve, curve.insecure, endpoint, "the reply endpoint (--bind/--advertise)"));
  }
  if (!o.broker.empty()) {
    // First-stage replicas from the broker's routes, followed while the load runs.
    SPIKELINE_ASSIGN_OR_RETURN(run->client,
                               client::makeClientFromBroker(run->topology, o.broker, client_options,
                                                            10'000, o.broker_routes));
  } else {
    SPIKELINE_ASSIGN_OR_RETURN(run->client,
                               client::Client::make(run->topology, run->route, client_options));
  }
  SPIKELINE_RETURN_IF_ERROR(run->client->waitReady(10'000).withContext("first stage"));
  return run;
}

Result<RunReport> runPipeline(PipelineRun& run, const LoadgenOptions& o, bool progress) {
  const InputSet& inputs = run.inputs;
  auto target = client::makeClientTarget(
      *run.client, *run.clock,
      [&inputs](uint64_t i) { return inputs.tensors[i % inputs.tensors.size()]; },
      client::ClientTargetOptions{run.topology.model, o.deadline_ms});
  ProgressCounters counters;
  auto counting = makeCountingTarget(*target, counters);
  ScenarioRunInputs in;
  in.target = counting.get();
  in.clock = run.clock.get();
  in.pacer = run.pacer.get();
  in.action_sink = run.action_sink.get();
  in.labels = inputs.labels;
  ProgressLine line(counters, "pipeline", progress);
  return runScenario(run.scenario, in);
}

Status writeOutputs(const RunReport& report, const LoadgenOptions& o) {
  if (!o.json.empty()) SPIKELINE_RETURN_IF_ERROR(writeJsonFile(report, o.json));
  if (!o.csv.empty()) SPIKELINE_RETURN_IF_ERROR(writeTimelineCsvFile(report, o.csv));
  if (!o.plot.empty()) {
    PlotFiles files;
    files.png_path = o.plot;
    files.csv_path = o.plot + ".csv";
    files.script_path = o.plot + ".gp";
    Status s = renderPlot(report, files);
    if (s.code() == StatusCode::kUnavailable) {
      std::fprintf(stderr, "warning: %s\n", s.toString().c_str());
    } else if (!s.isOk()) {
      return s;
    }
  }
  return Status::ok();
}

}  // namespace spikeline::loadgen::cli
