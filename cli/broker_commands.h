// The broker commands of the spikeline CLI: deploy, undeploy, models, routes, workers, events,
// fault. Each sends one admin request to the broker (--broker ADDR) and prints a human-readable
// answer to `out`, problems to `err`. Exit codes as cli/validate_command.h.
// Thread safety: as the streams.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "transport/curve.h"

namespace spikeline::cli {

struct BrokerCommand {
  std::string name;                             // "deploy", "undeploy", ...
  std::string broker = "tcp://127.0.0.1:5555";  // the broker's ROUTER
  int timeout_ms = 5000;                        // Default: 5 s
  std::string argument;                         // FILE, MODEL[@VERSION] or WORKER
  uint32_t count = 50;                          // events
  std::optional<uint32_t> core;                 // fault: one core (else the whole chip)
  std::optional<uint32_t> transient_runs;       // fault: transient, failing N runs
  bool whole_chip_flag = false;                 // fault: --chip given (the default anyway)
  transport::CurveFlags curve;  // --curve-key / --curve-broker-key (docs/decisions/0010)
};

// Runs one command. deploy validates the file locally first (file:line:col on failure).
int runBrokerCommand(const BrokerCommand& command, std::ostream& out, std::ostream& err);

}  // namespace spikeline::cli
