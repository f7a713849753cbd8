// spikeline-worker: hosts stages of a model and serves them on the data plane (decision 0003).
// Exceptions (CLI11's parse errors) are caught here, in main(); nothing below throws.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>

#include "core/ready_line.h"
#include "metrics/probe_server.h"
#include "metrics/registry.h"
#include "topology/topology_loader.h"
#include "workers/broker_mode.h"
#include "workers/route_file.h"
#include "workers/route_source.h"
#include "workers/worker.h"
#include "workers/worker_setup.h"

namespace {

std::atomic<bool> g_stop{false};
void onSignal(int) { g_stop.store(true); }

// What `--metrics` reports: the backend while it exists (set by the serving code).
struct Probe {
  std::atomic<const spikeline::hal::Backend*> backend{nullptr};
  spikeline::metrics::MetricsRegistry registry;
  spikeline::workers::WorkerMetrics data_plane;  // the workers count here (decision 0007)
  std::string metrics_address;  // "HOST:PORT" of --metrics as bound; empty = off
};

spikeline::metrics::Probe readiness(const Probe& p) {
  const spikeline::hal::Backend* b = p.backend.load();
  if (b == nullptr) return {false, "no backend yet"};
  const spikeline::hal::BackendHealth h = b->health();
  if (h.state == spikeline::hal::HealthState::kFailed) return {false, "backend failed: " + h.detail};
  return {true, ""};
}

std::string metricsText(Probe& p) {
  const spikeline::hal::Backend* b = p.backend.load();
  p.registry.set("spikeline_worker_backend_healthy", {},
                 b != nullptr && b->health().state == spikeline::hal::HealthState::kHealthy ? 1 : 0);
  spikeline::metrics::refreshProcessMetrics(p.registry);
  p.data_plane.exportTo(p.registry);
  return p.registry.render();
}

struct Flags {
  std::string broker;
  std::string broker_routes;
  std::string advertise;
  std::string node;
  std::string work_dir;
  spikeline::workers::BackendChoice backend;
  spikeline::workers::WorkerOptions worker;
  std::string log_level = "info";
  std::string routes;
  std::vector<std::string> stages;
  bool monolith = false;
  bool replace = false;  // --replace: take the name over from a live session
  int64_t received_timeout_ms = 50;
  int64_t drain_timeout_ms = 5000;
  int64_t busy_liveness_ms = 40;
  std::string metrics;  // --metrics HOST:PORT; empty = off
  spikeline::transport::CurveFlags curve;
};

void addFlags(CLI::App& app, Flags& f) {
  app.add_option("--broker", f.broker, "broker control endpoint: register, take assignments and routes");
  app.add_option("--broker-routes", f.broker_routes, "broker route PUB endpoint (default: port + 1)");
  app.add_option("--advertise", f.advertise, "data endpoint told to the broker (default: the bound one; port 0 or * = the bound port)");
  app.add_option("--node", f.node, "node name for placement (default: hostname)");
  app.add_option("--work-dir", f.work_dir, "where assigned models are written (default: a temp dir)");
  app.add_option("--backend", f.backend.kind, "cpu | cuda | chip | auto")
      ->check(CLI::IsMember({"cpu", "cuda", "chip", "auto"}));
  app.add_option("--bind", f.worker.bind, "data endpoint to bind; port 0 = any")
      ->default_val("tcp://127.0.0.1:0");
  app.add_option("--threads", f.worker.threads, "compute threads (default: backend capacity)");
  app.add_option("--name", f.worker.name, "worker name (traces, logs, routing ids)");
  app.add_option("--capacity", f.worker.window, "credit window per upstream sender")
      ->default_val(16);
  app.add_option("--log-level", f.log_level, "trace|debug|info|warn|error|off");
  app.add_option("--routes", f.routes, "static route file (YAML); exactly one of --routes/--broker");
  app.add_option("--stage", f.stages, "stage to host (repeatable; default: all)");
  app.add_flag("--replace", f.replace,
               "with --broker: take the worker name over from a live session (it is ended)");
  app.add_flag("--monolith", f.monolith, "run every stage in this process, no sockets between");
  app.add_option("--chip-cores", f.backend.chip_cores, "emulated chip: cores")->default_val(128);
  app.add_option("--chip-name", f.backend.chip_name, "emulated chip: name")->default_val("emu0");
  app.add_option("--received-timeout-ms", f.received_timeout_ms, "custody: wait for `received`")
      ->default_val(50);
  app.add_option("--metrics", f.metrics, "serve /metrics, /live, /ready on HOST:PORT (default: off)");
  app.add_option("--drain-timeout-ms", f.drain_timeout_ms, "bounded drain on SIGTERM")
      ->default_val(5000);
  app.add_option("--busy-liveness-ms", f.busy_liveness_ms,
                 "custody: a next-hop replica holding our frames that answers no probe this long "
                 "is down (decision 0009); 0 = off (only the 300 ms silence rule)")
      ->default_val(40);
  app.add_option("--curve-key", f.curve.key_file,
                 "this worker's NAME.key_secret (`spikeline keygen`): CURVE on the data port, "
                 "to the next stages, clients and the broker (or SPIKELINE_CURVE_KEY)");
  app.add_option("--curve-trust", f.curve.trust_dir,
                 "directory of *.key public keys allowed to send to this worker "
                 "(or SPIKELINE_CURVE_TRUST)");
  app.add_option("--curve-broker-key", f.curve.broker_key_file,
                 "the broker's public key (default: CURVE_TRUST/broker.key; or "
                 "SPIKELINE_CURVE_BROKER_KEY)");
  app.add_flag("--insecure", f.curve.insecure,
               "accept a plaintext, unauthenticated data plane on a non-loopback address");
}

// CURVE keys from the flags (or the environment); exit code 2 and a logged reason on error.
int loadCurve(Flags& f) {
  using namespace spikeline;
  f.curve = transport::curveFlagsFromEnvironment(f.curve);
  auto identity = transport::loadCurveIdentity(f.curve, /*needs_broker=*/!f.broker.empty());
  if (!identity.isOk()) return spdlog::error("{}", identity.status().message()), 2;
  for (const std::string& w : identity->warnings) spdlog::warn("{}", w);
  for (const std::string& endpoint : {f.worker.bind, f.advertise}) {
    if (endpoint.empty()) continue;
    Status allowed = transport::requireCurveOffLoopback(*identity, f.curve.insecure, endpoint,
                                                        "the data endpoint");
    if (!allowed.isOk()) return spdlog::error("{}", allowed.message()), 2;
  }
  f.worker.curve = std::move(identity).value();
  return 0;
}

// The READY line on stdout: the bound data endpoint and, with --metrics, the probe address.
void announceReady(const std::string& data_endpoint, const Probe& probe) {
  spikeline::ReadyLine ready;
  ready.endpoints = {{"data", data_endpoint}};
  if (!probe.metrics_address.empty()) ready.endpoints.emplace_back("metrics", probe.metrics_address);
  std::cout << ready.format() << std::endl;
}

int serveBroker(Flags& f, Probe& probe) {
  if (f.monolith || !f.stages.empty()) {
    spdlog::error("--monolith and --stage do not apply with --broker: the broker assigns stages");
    return 2;
  }
  spikeline::workers::BrokerModeOptions o;
  o.broker = f.broker;
  o.broker_routes = f.broker_routes;
  o.advertise = f.advertise;
  o.node = f.node;
  o.work_dir = f.work_dir;
  o.replace = f.replace;
  o.backend = f.backend;
  o.worker = f.worker;
  o.worker.metrics = &probe.data_plane;
  o.worker.custody.received_timeout_ns = f.received_timeout_ms * 1'000'000;
  o.worker.drain_timeout_ns = f.drain_timeout_ms * 1'000'000;
  o.worker.busy_liveness_timeout_ns = f.busy_liveness_ms * 1'000'000;
  o.on_backend = [&probe](const spikeline::hal::Backend* b) { probe.backend.store(b); };
  o.on_ready = [&probe](const std::string& endpoint) { announceReady(endpoint, probe); };
  return spikeline::workers::serveWithBroker(std::move(o), g_stop);
}

int serve(Flags& f, Probe& probe) {
  using namespace spikeline;
  if (f.broker.empty() == f.routes.empty()) {
    spdlog::error("exactly one of --broker ADDR or --routes FILE is required");
    return 2;
  }
  if (int code = loadCurve(f); code != 0) return code;
  if (!f.broker.empty()) return serveBroker(f, probe);
  Result<workers::StaticRoutes> routes = workers::parseRouteFile(f.routes);
  if (!routes.isOk()) return spdlog::error("{}", routes.status().toString()), 2;
  Result<Topology> topology = topology::loadTopologyFile(routes->topology_path);
  if (!topology.isOk()) return spdlog::error("{}", topology.status().toString()), 2;
  std::vector<std::string> order;
  for (const Stage& s : topology->stages) order.push_back(s.name);
  std::unique_ptr<workers::RouteSource> source =
      workers::makeStaticRouteSource(*routes, topology->model, order);
  f.backend.threads = f.worker.threads;  // 0: the backend's default capacity
  auto setup = workers::setUpBackend(f.backend);
  if (!setup.isOk()) return spdlog::error("{}", setup.status().toString()), 3;
  hal::Backend& backend = *(*setup)->backend;
  probe.backend.store(&backend);
  struct Forget {  // destroyed before the backend: the probe never sees a dangling one
    Probe& p;
    ~Forget() { p.backend.store(nullptr); }
  } forget{probe};
  if (f.worker.threads == 0) f.worker.threads = backend.info().capacity;
  std::unique_ptr<Clock> clock = makeSystemClock();
  const workers::OperatorTiming timing{&probe.data_plane, clock.get()};
  auto stages = f.monolith ? workers::prepareMonolith(backend, *topology, timing)
                           : workers::prepareStages(backend, *topology, f.stages, source->current(),
                                                    false, timing);
  if (!stages.isOk()) return spdlog::error("{}", stages.status().toString()), 2;
  f.worker.metrics = &probe.data_plane;
  f.worker.custody.received_timeout_ns = f.received_timeout_ms * 1'000'000;
  f.worker.drain_timeout_ns = f.drain_timeout_ms * 1'000'000;
  f.worker.busy_liveness_timeout_ns = f.busy_liveness_ms * 1'000'000;
  auto context = transport::makeTransportContext(1);
  if (!context.isOk()) return spdlog::error("{}", context.status().toString()), 3;
  auto worker = workers::Worker::make(**context, *clock, backend, *topology,
                                      std::move(stages).value(), f.worker, (*setup)->hooks);
  if (!worker.isOk()) return spdlog::error("{}", worker.status().toString()), 3;
  Result<std::string> endpoint = (*worker)->bind();
  if (!endpoint.isOk()) return spdlog::error("{}", endpoint.status().toString()), 3;
  spdlog::info("{}: serving on {} with backend {}", f.worker.name, *endpoint, backend.info().name);
  announceReady(*endpoint, probe);
  Status s = (*worker)->run(g_stop);
  if (!s.isOk()) return spdlog::error("{}", s.toString()), 1;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"spikeline-worker: serves stages of a spiking model over the data plane"};
  Flags flags;
  flags.worker.threads = 0;
  addFlags(app, flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  auto level = spdlog::level::from_str(flags.log_level);
  spdlog::set_level(level);
  spdlog::set_default_logger(spdlog::stderr_color_mt("worker"));
  spdlog::set_level(level);
  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);
  std::signal(SIGPIPE, SIG_IGN);
  Probe probe;
  probe.registry.declare("spikeline_worker_backend_healthy", spikeline::metrics::MetricType::kGauge,
                         "1 when the worker's backend reports healthy.");
  spikeline::workers::WorkerMetrics::declare(probe.registry);
  spikeline::metrics::declareProcessMetrics(
      probe.registry,
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  std::unique_ptr<spikeline::metrics::ProbeServer> probe_server;
  if (!flags.metrics.empty()) {
    auto s = spikeline::metrics::startProbeServer(
        flags.metrics,
        {[&probe] { return metricsText(probe); }, [&probe] { return readiness(probe); }});
    if (!s.isOk()) return spdlog::error("--metrics: {}", s.status().toString()), 2;
    probe_server = std::move(s).value();
    probe.metrics_address = probe_server->address();
    spdlog::info("metrics on {}", probe.metrics_address);
  }
  const int code = serve(flags, probe);
  probe_server.reset();
  return code;
}
