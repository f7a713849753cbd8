// Scenario: a load-and-fault run described in YAML: the mode (open loop with phases, or closed
// loop), arrival process, request timeout, and actions at times (kill a worker, inject a chip
// fault, restart the broker). Parsed into a value type; every error names file:line and the
// field. yaml-cpp stays inside scenario.cpp. Thread safety: stateless functions.
//
//   name: kill-one-worker
//   mode: open                 # open | closed            Default: open
//   arrival: poisson           # constant | poisson       Default: constant
//   seed: 7                    #                          Default: 1
//   request_timeout_s: 5       #                          Default: 10
//   phases:                    # open mode
//     - {kind: warmup, duration_s: 5, rate: 500}
//     - {kind: ramp, duration_s: 10, from: 500, to: 2000}
//     - {kind: steady, duration_s: 30, rate: 2000}
//   closed: {concurrency: 8, warmup_s: 2, duration_s: 30}   # closed mode
//   actions:
//     - {at_s: 20, action: kill_worker, worker: chip-0}
//     - {at_s: 25, action: inject_chip_fault, worker: chip-1, core: 3}   # no core: whole chip
//     - {at_s: 30, action: restart_broker}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "loadgen/arrival_schedule.h"
#include "loadgen/load_driver.h"
#include "loadgen/scenario_action.h"

namespace spikeline::loadgen {

enum class LoadMode : uint8_t { kOpen, kClosed };

struct Scenario {
  std::string name;
  LoadMode mode = LoadMode::kOpen;
  ScheduleSpec schedule;  // kOpen
  ClosedLoopSpec closed;  // kClosed
  int64_t request_timeout_ns = 10'000'000'000;
  std::vector<ScenarioAction> actions;  // in file order
};

// `source` names the text in errors ("scenario.yaml"). kInvalidArgument with
// "<source>:<line>: <field>: <problem>" on any error.
Result<Scenario> parseScenario(std::string_view yaml_text, std::string_view source);
// kNotFound when the file cannot be read.
Result<Scenario> loadScenarioFile(const std::string& path);

}  // namespace spikeline::loadgen
