// spikeline-loadgen: drives a running pipeline (static route file or one endpoint) through the
// data-plane client with open- or closed-loop load, executes a scenario's faults, optionally
// runs a baseline (raw ZeroMQ chain or in-process monolith) and prints/writes the reports.
#include <unistd.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "core/clock.h"
#include "loadgen/cli/baselines.h"
#include "loadgen/cli/cli_options.h"
#include "loadgen/cli/pipeline_run.h"
#include "loadgen/report_writer.h"

using namespace spikeline;
using namespace spikeline::loadgen;
using namespace spikeline::loadgen::cli;

namespace {

int fail(const Status& status) {
  std::fprintf(stderr, "spikeline-loadgen: %s\n", status.toString().c_str());
  return 1;
}

int run(const LoadgenOptions& options) {
  auto setup = preparePipelineRun(options);
  if (!setup.isOk()) return fail(setup.status());
  PipelineRun& p = **setup;
  const bool tty = options.progress && ::isatty(STDOUT_FILENO) == 1;
  auto report = runPipeline(p, options, tty);
  if (!report.isOk()) return fail(report.status());
  std::printf("== pipeline %s (%s)\n%s", p.topology.model.toString().c_str(), p.scenario.name.c_str(),
              formatSummary(*report).c_str());
  if (Status s = writeOutputs(*report, options); !s.isOk()) return fail(s);
  if (!options.baseline.empty()) {
    auto baseline = runBaseline(p, options, tty);
    if (!baseline.isOk()) return fail(baseline.status());
    std::printf("%s", formatComparison(*report, *baseline).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Logs (e.g. the client's "replies bound on tcp://HOST:PORT") go to stderr; stdout carries the
  // reports only.
  spdlog::set_default_logger(spdlog::stderr_color_mt("loadgen"));
  try {
    LoadgenOptions options;
    const int exit_code = parseOptions(argc, argv, options);
    if (exit_code >= 0) return exit_code;
    return run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spikeline-loadgen: %s\n", e.what());
    return 1;
  }
}
