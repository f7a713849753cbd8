// Baselines run in the same invocation as the pipeline, for ratios: "monolith" drives the
// model's stages chained in this process (workers::Monolith on the CPU backend) through the same
// LoadDriver and scenario (faults not executed); "raw-zmq" measures the raw ZeroMQ chain of K
// hops (workers/bench RawChain: threads over TCP loopback) with frames of the model's input size.
// Thread safety: one thread.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"
#include "loadgen/cli/cli_options.h"
#include "loadgen/cli/pipeline_run.h"
#include "loadgen/run_report.h"

namespace spikeline::loadgen::cli {

struct BaselineFigures {
  std::string name;       // e.g. "monolith", "raw-zmq 3 hops, 3136 B"
  double throughput_rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  std::optional<RunReport> report;  // the monolith's full report
};

Result<BaselineFigures> runBaseline(const PipelineRun& run, const LoadgenOptions& options,
                                    bool progress);

// Lines "baseline <name>: ..." and "pipeline / baseline: throughput 0.82x  p50 1.9x  p99 2.4x".
std::string formatComparison(const RunReport& pipeline, const BaselineFigures& baseline);

}  // namespace spikeline::loadgen::cli
