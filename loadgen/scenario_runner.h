// runScenario: runs a parsed Scenario (open or closed loop, timeout, actions) through a
// LoadDriver against a Target. The glue the CLI calls; borrows everything it is given.
// Thread safety: as LoadDriver (call from the thread that should be the sender).
#pragma once

#include <cstdint>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "loadgen/pacer.h"
#include "loadgen/run_report.h"
#include "loadgen/scenario.h"
#include "loadgen/target.h"

namespace spikeline::loadgen {

struct ScenarioRunInputs {
  Target* target = nullptr;           // REQUIRES: non-null
  const Clock* clock = nullptr;       // REQUIRES: non-null
  Pacer* pacer = nullptr;             // REQUIRES: non-null
  ActionSink* action_sink = nullptr;  // null: actions are marked "unimplemented", not executed
  std::vector<uint8_t> labels;        // label of request i is labels[i % size]; may be empty
};

// kInvalidArgument when the scenario's schedule is invalid or an input is missing.
Result<RunReport> runScenario(const Scenario& scenario, const ScenarioRunInputs& inputs);

}  // namespace spikeline::loadgen
