// PipelineRun: what spikeline-loadgen sets up to drive a real pipeline: the topology and first
// stage's routes, the scenario (from flags or a YAML file), inputs, a data-plane Client, and the
// ActionSink for faults; then the run itself and the report files. Owns all of it.
// Thread safety: one thread (the driver's sender thread).
#pragma once

#include <memory>

#include "core/clock.h"
#include "core/result.h"
#include "core/topology.h"
#include "loadgen/cli/cli_options.h"
#include "loadgen/cli/inputs.h"
#include "loadgen/pacer.h"
#include "loadgen/run_report.h"
#include "loadgen/scenario.h"
#include "workers/client/client.h"
#include "workers/route_source.h"

namespace spikeline::loadgen::cli {

struct PipelineRun {
  Topology topology;
  workers::PipelineRoute route;
  Scenario scenario;
  InputSet inputs;
  std::unique_ptr<Clock> clock;
  std::unique_ptr<Pacer> pacer;
  std::unique_ptr<client::Client> client;
  std::unique_ptr<ActionSink> action_sink;
};

// The scenario the load flags describe (open loop unless --concurrency > 0).
Result<Scenario> scenarioFromFlags(const LoadgenOptions& options);
// Loads everything and connects the client (waits up to 10 s for first-stage credit).
Result<std::unique_ptr<PipelineRun>> preparePipelineRun(const LoadgenOptions& options);
// Runs the scenario against the pipeline; `progress`: print a progress line.
Result<RunReport> runPipeline(PipelineRun& run, const LoadgenOptions& options, bool progress);
// --json, --csv, --plot (a missing gnuplot is a warning, not an error).
Status writeOutputs(const RunReport& report, const LoadgenOptions& options);

}  // namespace spikeline::loadgen::cli
