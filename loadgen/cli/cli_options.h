// LoadgenOptions: everything spikeline-loadgen's command line says, parsed by CLI11 (kept inside
// cli_options.cpp). A value type. Thread safety: stateless function.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loadgen/cli/inputs.h"

namespace spikeline::loadgen::cli {

struct LoadgenOptions {
  std::string routes;    // static route file (its topology, and the first stage's replicas)
  std::string endpoint;  // or one first-stage endpoint ...
  std::string broker;         // or the broker's ROUTER: first stage from its routes, followed
  std::string broker_routes;  // the broker's PUB; empty = the broker's port + 1
  std::string bind = "tcp://127.0.0.1:*";  // the client's reply ROUTER
  std::string advertise;  // the reply-to in frames: "" = the bound one; "tcp://HOST:*" = bound port
  std::string topology;  // ... with the topology file; also the monolith baseline's model
  std::string model;     // "name@version"; empty: the topology's
  double rate = 100;     // open loop, requests/s
  std::string arrivals = "constant";
  uint32_t concurrency = 0;  // > 0: closed loop
  double duration_s = 10;
  double warmup_s = 0;
  uint64_t seed = 1;
  InputSpec input;
  std::string label_map;  // "--label-map" as given; parsed into input.label_map
  int64_t deadline_ms = 2000;
  std::string json, csv, plot, scenario;
  std::vector<std::string> pids;              // "name=PID"
  std::string pid_file;
  std::vector<std::string> worker_endpoints;  // "name=ADDR"
  std::string restart_broker_cmd;
  std::string baseline;  // "" | "raw-zmq" | "monolith"
  uint32_t hops = 3;
  bool progress = true;  // only when stdout is a TTY
};

// Parses argv. Returns an exit code >= 0 when the program should exit at once (--help: 0,
// a usage error: 2, after printing); -1 to go on.
int parseOptions(int argc, char** argv, LoadgenOptions& options);

}  // namespace spikeline::loadgen::cli
