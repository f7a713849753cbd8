#include "loadgen/cli/cli_options.h"

#include <CLI/CLI.hpp>

namespace spikeline::loadgen::cli {
namespace {

constexpr const char* kFooter =
    "Measured send capacity of this load generator: ~2.8 M requests/s open loop (one sender\n"
    "thread, null target, full accounting; loadgen_bench BM_OpenLoopSendCapacity, see\n"
    "loadgen/README.md). Latency is measured from the intended send time (no coordinated\n"
    "omission). --scenario FILE replaces the load flags by the file's phases and actions.";

void addLoadFlags(CLI::App& app, LoadgenOptions& o) {
  app.add_option("--rate", o.rate, "open loop: requests per second")->check(CLI::PositiveNumber);
  app.add_option("--arrivals", o.arrivals, "open loop arrival process")
      ->check(CLI::IsMember({"constant", "poisson"}));
  app.add_option("--concurrency", o.concurrency, "closed loop: requests in flight (0: open loop)");
  app.add_option("--duration", o.duration_s, "measured seconds")->check(CLI::PositiveNumber);
  app.add_option("--warmup", o.warmup_s, "seconds sent before measuring")->check(CLI::NonNegativeNumber);
  app.add_option("--seed", o.seed, "Poisson and random-input seed");
  app.add_option("--deadline-ms", o.deadline_ms, "per-request deadline (also the lost timeout)")
      ->check(CLI::PositiveNumber);
}

void addInputFlags(CLI::App& app, LoadgenOptions& o) {
  app.add_option("--input", o.input.kind, "fmnist (labels: accuracy) | random")
      ->check(CLI::IsMember({"fmnist", "random"}));
  app.add_option("--density", o.input.density, "random input: pixel-on probability");
  app.add_option("--input-dir", o.input.dir,
                 "IDX image set (t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])");
  app.add_option("--input-count", o.input.count, "at most this many distinct inputs");
  app.add_option("--label-map", o.label_map,
                 "image label -> model class, comma-separated in label order (accuracy of a "
                 "model trained on grouped classes, e.g. 0,0,0,0,0,1,0,1,2,1)");
}

void addFaultFlags(CLI::App& app, LoadgenOptions& o) {
  app.add_option("--scenario", o.scenario, "scenario YAML (phases and fault actions)");
  app.add_option("--pid", o.pids, "name=PID of a worker kill_worker may kill (repeatable)");
  app.add_option("--pid-file", o.pid_file, "file of name=PID lines");
  app.add_option("--worker-endpoint", o.worker_endpoints,
                 "name=ADDR: data endpoint inject_chip_fault sends InjectFault to (repeatable)");
  app.add_option("--restart-broker-cmd", o.restart_broker_cmd,
                 "shell command restart_broker runs (e.g. 'systemctl restart redis')");
}

}  // namespace

int parseOptions(int argc, char** argv, LoadgenOptions& o) {
  CLI::App app{"spikeline-loadgen: open/closed-loop load and fault injection against a pipeline"};
  app.footer(kFooter);
  auto* routes = app.add_option("--routes", o.routes, "static route file the workers use");
  auto* endpoint = app.add_option("--endpoint", o.endpoint, "one first-stage endpoint");
  auto* broker = app.add_option("--broker", o.broker,
                                "the broker (e.g. tcp://127.0.0.1:5555): first-stage replicas from "
                                "its route table, followed as they change");
  app.add_option("--broker-routes", o.broker_routes, "the broker's route PUB (default: its port + 1)")
      ->needs(broker);
  routes->excludes(endpoint);
  routes->excludes(broker);
  endpoint->excludes(broker);
  app.add_option("--bind", o.bind,
                 "the client's reply ROUTER; tcp://0.0.0.0:* when the last stage runs elsewhere")
      ->capture_default_str();
  app.add_option("--advertise", o.advertise,
                 "reply-to put in every frame, reachable from the last stage's workers: "
                 "tcp://HOST:PORT, or tcp://HOST:* for the port --bind got (default: the bound one)");
  app.add_option("--topology", o.topology, "topology YAML (with --endpoint or --broker; the monolith baseline's model, default: the pipeline's)");
  app.add_option("--model", o.model, "name@version (checked against the topology)");
  addLoadFlags(app, o);
  addInputFlags(app, o);
  app.add_option("--json", o.json, "write the report as JSON");
  app.add_option("--csv", o.csv, "write the per-second timeline CSV");
  app.add_option("--plot", o.plot, "write a PNG (gnuplot) with faults marked");
  addFaultFlags(app, o);
  app.add_option("--baseline", o.baseline, "also run a baseline: raw-zmq | monolith")
      ->check(CLI::IsMember({"raw-zmq", "monolith"}));
  app.add_option("--hops", o.hops, "raw-zmq baseline: hops");
  app.add_flag("!--no-progress", o.progress, "no progress line");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!o.input.dir.empty() && o.input.kind == "random") o.input.kind = "dir";
  if (!o.label_map.empty()) {
    Result<std::vector<uint8_t>> map = parseLabelMap(o.label_map);
    if (!map.isOk()) {
      std::fprintf(stderr, "%s\n", map.status().message().c_str());
      return 2;
    }
    o.input.label_map = std::move(*map);
  }
  if (o.routes.empty() && o.endpoint.empty() && o.broker.empty()) {
    std::fprintf(stderr, "one of --routes, --endpoint or --broker is required\n");
    return 2;
  }
  if ((!o.endpoint.empty() || !o.broker.empty()) && o.topology.empty()) {
    std::fprintf(stderr, "%s needs --topology\n", o.broker.empty() ? "--endpoint" : "--broker");
    return 2;
  }
  return -1;
}

}  // namespace spikeline::loadgen::cli
