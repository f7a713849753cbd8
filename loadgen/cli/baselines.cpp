#include "loadgen/cli/baselines.h"

#include <cstdio>

#include "hal/cpu/cpu_backend.h"
#include "loadgen/cli/monolith_target.h"
#include "loadgen/cli/progress.h"
#include "loadgen/report_writer.h"
#include "loadgen/scenario_runner.h"
#include "topology/topology_loader.h"
#include "workers/bench/bench_pipeline.h"
#include "workers/monolith.h"

namespace spikeline::loadgen::cli {
namespace {

constexpr double kNsPerMs = 1e6;

Result<BaselineFigures> monolithBaseline(const PipelineRun& run, const LoadgenOptions& o,
                                         bool progress) {
  Topology topology = run.topology;
  if (!o.topology.empty() && !o.routes.empty()) {
    SPIKELINE_ASSIGN_OR_RETURN(topology, topology::loadTopologyFile(o.topology));
  }
  SPIKELINE_ASSIGN_OR_RETURN(auto cpu, hal::makeCpuBackend(hal::CpuOptions{}));
  SPIKELINE_ASSIGN_OR_RETURN(auto monolith, workers::Monolith::make(*cpu, topology));
  const InputSet& inputs = run.inputs;
  auto target = makeMonolithTarget(*monolith, [&inputs](uint64_t i) -> const Tensor& {
    return inputs.tensors[i % inputs.tensors.size()];
  });
  ProgressCounters counters;
  auto counting = makeCountingTarget(*target, counters);
  Scenario scenario = run.scenario;
  scenario.actions.clear();
  ScenarioRunInputs in;
  in.target = counting.get();
  in.clock = run.clock.get();
  in.pacer = run.pacer.get();
  in.labels = inputs.labels;
  std::optional<RunReport> report;
  {
    ProgressLine line(counters, "monolith", progress);
    SPIKELINE_ASSIGN_OR_RETURN(report, runScenario(scenario, in));
  }
  std::printf("== baseline monolith (in-process, CPU backend)\n%s", formatSummary(*report).c_str());
  return BaselineFigures{"monolith", report->throughput_rps, report->latency.p50_ns / kNsPerMs,
                         report->latency.p99_ns / kNsPerMs, report};
}

Result<BaselineFigures> rawZmqBaseline(const PipelineRun& run, const LoadgenOptions& o) {
  if (o.hops < 1) return invalidArgument("--hops must be >= 1");
  // The input frame's payload: the first input's values as 4-byte floats.
  const size_t bytes = size_t(run.topology.input_shape.numel()) * sizeof(float);
  SPIKELINE_ASSIGN_OR_RETURN(auto chain, bench::RawChain::start(int(o.hops)));
  const double seconds = std::max(1.0, o.duration_s);
  const double rps = chain->throughput(bytes, /*window=*/16, seconds);
  const bench::Figures lat = chain->latency(bytes, 2000);
  BaselineFigures f;
  f.name = "raw-zmq " + std::to_string(o.hops) + " hops, " + std::to_string(bytes) + " B";
  f.throughput_rps = rps;
  f.p50_ms = lat.p50_us / 1000.0;
  f.p99_ms = lat.p99_us / 1000.0;
  std::printf("== baseline %s (window 16 for %.1f s; latency: 2000 round trips one at a time)\n"
              "throughput %.0f msg/s  p50 %.3f ms  p99 %.3f ms\n",
              f.name.c_str(), seconds, rps, f.p50_ms, f.p99_ms);
  return f;
}

std::string ratio(double a, double b) {
  if (b <= 0) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2fx", a / b);
  return buf;
}

}  // namespace

Result<BaselineFigures> runBaseline(const PipelineRun& run, const LoadgenOptions& o,
                                    bool progress) {
  if (o.baseline == "monolith") return monolithBaseline(run, o, progress);
  if (o.baseline == "raw-zmq") return rawZmqBaseline(run, o);
  return invalidArgument("unknown baseline '" + o.baseline + "'");
}

std::string formatComparison(const RunReport& pipeline, const BaselineFigures& b) {
  const double p50 = pipeline.latency.p50_ns / kNsPerMs;
  const double p99 = pipeline.latency.p99_ns / kNsPerMs;
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "== pipeline vs %s\n"
                "            throughput/s     p50 ms     p99 ms\n"
                "pipeline    %12.1f %10.3f %10.3f\n"
                "baseline    %12.1f %10.3f %10.3f\n"
                "ratio       %12s %10s %10s   (pipeline / baseline)\n",
                b.name.c_str(), pipeline.throughput_rps, p50, p99, b.throughput_rps, b.p50_ms,
                b.p99_ms, ratio(pipeline.throughput_rps, b.throughput_rps).c_str(),
                ratio(p50, b.p50_ms).c_str(), ratio(p99, b.p99_ms).c_str());
  return buf;
}

}  // namespace spikeline::loadgen::cli
