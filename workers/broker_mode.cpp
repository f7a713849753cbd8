#include "workers/broker_mode.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "broker/agent/broker_agent.h"
#include "broker/agent/materialize.h"
#include "topology/topology_loader.h"

namespace spikeline::workers {
namespace {

using broker::Assignment;
using broker::AssignmentRole;

wire::BackendHealth toWire(hal::HealthState s) {
  switch (s) {
    case hal::HealthState::kHealthy: return wire::BackendHealth::kHealthy;
    case hal::HealthState::kDegraded: return wire::BackendHealth::kDegraded;
    case hal::HealthState::kFailed: return wire::BackendHealth::kFailed;
  }
  return wire::BackendHealth::kFailed;
}

PipelineRoute toPipelineRoute(const wire::RouteTable& table, const ModelRef& model) {
  PipelineRoute route{model, table.epoch, {}};
  const wire::ModelRoute* m = broker::findModelRoute(table, model);
  if (m == nullptr) return route;
  for (const wire::StageRoute& s : m->stages) {
    StageEndpoints ep{s.name, {}};
    for (const wire::Replica& r : s.replicas) ep.endpoints.push_back(r.endpoint);
    route.stages.push_back(std::move(ep));
  }
  return route;
}

std::string hostName() {
  char buf[256] = {0};
  return ::gethostname(buf, sizeof(buf) - 1) == 0 ? std::string(buf) : std::string("localhost");
}

// Shared between main's thread, the agent's callbacks and the health monitor.
struct Shared {
  Worker* worker = nullptr;
  hal::Backend* backend = nullptr;
  std::string name;
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Assignment> assignment;  // the latest, guarded by mu
  std::optional<ModelRef> hosted_model;  // set once hosting, guarded by mu
  std::vector<std::string> hosted_stages;  // guarded by mu
  std::atomic<broker::BrokerAgent*> agent{nullptr};
  std::atomic<bool> fault_reported{false};

  void reportFault(const std::string& detail) {
    broker::BrokerAgent* a = agent.load();
    if (a == nullptr || fault_reported.exchange(true)) return;
    const hal::BackendHealth h = backend->health();
    wire::HardwareFault f;
    f.worker = WorkerId{name};
    f.backend = backend->info().kind;
    f.failed_cores = h.failed_cores;
    f.whole_device = h.state == hal::HealthState::kFailed && h.failed_cores.empty();
    f.detail = detail.empty() ? h.detail : detail;
    f.at_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch()).count();
    spdlog::error("{}: reporting a hardware fault to the broker: {}", name, f.detail);
    a->reportFault(f);
  }
};

broker::AgentCallbacks makeCallbacks(Shared& sh) {
  broker::AgentCallbacks cb;
  cb.on_assignment = [&sh](const Assignment& a) {
    spdlog::info("{}: assignment: role {}, {} stage(s), pool {}", sh.name,
                 broker::assignmentRoleName(a.role), a.stages.size(), a.pool);
    std::lock_guard<std::mutex> lock(sh.mu);
    sh.assignment = a;
    sh.cv.notify_all();
    if (!sh.hosted_model.has_value()) return;
    std::vector<std::string> names;
    for (const broker::AssignedStage& st : a.stages) names.push_back(st.stage);
    if (names != sh.hosted_stages) {
      spdlog::warn("{}: the new assignment names other stages than those hosted; restart this "
                   "worker to host them", sh.name);
    }
  };
  cb.on_routes = [&sh](const wire::RouteTable& table) {
    std::optional<ModelRef> model;
    {
      std::lock_guard<std::mutex> lock(sh.mu);
      model = sh.hosted_model;
    }
    if (model.has_value()) sh.worker->updateRoutes(toPipelineRoute(table, *model));
  };
  cb.on_inject_fault = [&sh](const broker::InjectFault& f) {
    (void)sh.worker->injectFault(FaultRequest{f.whole_chip, f.core, f.permanent, f.failing_runs});
  };
  return cb;
}

// Heartbeat load + health every 100 ms; a failed backend is reported at once.
void monitor(Shared& sh, const std::atomic<bool>& stop, uint32_t capacity) {
  while (!stop.load()) {
    broker::BrokerAgent* a = sh.agent.load();
    const hal::BackendHealth h = sh.backend->health();
    if (a != nullptr) {
      a->setLoad(static_cast<float>(sh.worker->inFlight()) / float(capacity == 0 ? 1 : capacity),
                 toWire(h.state));
    }
    if (h.state == hal::HealthState::kHealthy) sh.fault_reported.store(false);
    if (h.state == hal::HealthState::kFailed ||
        (h.state == hal::HealthState::kDegraded && !h.failed_cores.empty())) {
      sh.reportFault(h.detail);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Waits for an assignment with stages; nullopt when stopped first.
std::optional<Assignment> awaitAssignment(Shared& sh, const std::atomic<bool>& stop) {
  spdlog::info("{}: no assignment yet: serving nothing until the broker assigns stages", sh.name);
  auto next_log = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::unique_lock<std::mutex> lock(sh.mu);
  while (!stop.load()) {
    if (sh.assignment.has_value() && sh.assignment->role != AssignmentRole::kNone &&
        !sh.assignment->stages.empty()) {
      return sh.assignment;
    }
    sh.cv.wait_for(lock, std::chrono::milliseconds(50));
    if (std::chrono::steady_clock::now() > next_log) {
      spdlog::info("{}: still no assignment: serving nothing", sh.name);
      next_log += std::chrono::seconds(5);
    }
  }
  return std::nullopt;
}

// Materializes, loads and hosts the assignment's stages (those of its first model).
Status hostAssignment(Shared& sh, const Assignment& a, const std::filesystem::path& dir,
                      const broker::BrokerAgent& agent) {
  const auto started = std::chrono::steady_clock::now();
  SPIKELINE_ASSIGN_OR_RETURN(auto files, broker::materializeAssignment(a, dir));
  SPIKELINE_ASSIGN_OR_RETURN(Topology topology, topology::loadTopologyFile(files.front().yaml_path));
  std::vector<std::string> names;
  for (const broker::MaterializedStage& m : files) {
    if (m.model == files.front().model) names.push_back(m.stage);
    else spdlog::warn("{}: hosting one model only; ignoring {} of {}", sh.name, m.stage,
                      m.model.toString());
  }
  const PipelineRoute route = toPipelineRoute(agent.routes(), topology.model);
  SPIKELINE_ASSIGN_OR_RETURN(auto stages, prepareStages(*sh.backend, topology, names, route, true));
  SPIKELINE_RETURN_IF_ERROR(sh.worker->host(topology, std::move(stages)));
  {
    std::lock_guard<std::mutex> lock(sh.mu);
    sh.hosted_model = topology.model;
    sh.hosted_stages = names;
  }
  sh.worker->updateRoutes(toPipelineRoute(agent.routes(), topology.model));
  std::string joined;
  for (const std::string& n : names) joined += (joined.empty() ? "" : ",") + n;
  const double prepared_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("{}: hosting {} stage(s) [{}] of {} as {}; prepared in {:.2f} ms (materialize, "
               "load, compile/map on {})",
               sh.name, names.size(), joined, topology.model.toString(),
               broker::assignmentRoleName(a.role), prepared_ms, sh.backend->info().name);
  return Status::ok();
}

Result<std::filesystem::path> makeWorkDir(const std::string& given, const std::string& name) {
  std::error_code ec;
  std::filesystem::path dir = given.empty()
                                  ? std::filesystem::temp_directory_path(ec) /
                                        ("spikeline-" + name + "-" + std::to_string(::getpid()))
                                  : std::filesystem::path(given);
  std::filesystem::create_directories(dir, ec);
  if (ec) return unavailable("cannot create " + dir.string() + ": " + ec.message());
  return dir;
}

broker::AgentOptions agentOptions(const BrokerModeOptions& o, const std::string& routes,
                                  const hal::Backend& backend, const std::string& endpoint) {
  broker::AgentOptions a;
  a.broker_endpoint = o.broker;
  a.routes_endpoint = routes;
  a.self.worker = WorkerId{o.worker.name};
  a.self.backend = backend.info().kind;
  a.self.capacity = o.worker.window;
  a.self.data_endpoint = o.advertise.empty() ? endpoint : o.advertise;
  a.self.node = o.node.empty() ? hostName() : o.node;
  a.self.precisions = backend.info().precisions;
  return a;
}

// After the worker is bound: agent, assignment, hosting, serving. Returns the exit code.
int runAgentAndServe(BrokerModeOptions& o, Shared& sh, const std::string& endpoint,
                     const std::atomic<bool>& stop) {
  Result<std::string> routes =
      o.broker_routes.empty() ? defaultRoutesEndpoint(o.broker) : Result<std::string>(o.broker_routes);
  if (!routes.isOk()) return spdlog::error("{}", routes.status().toString()), 2;
  auto dir = makeWorkDir(o.work_dir, o.worker.name);
  if (!dir.isOk()) return spdlog::error("{}", dir.status().toString()), 2;
  const broker::AgentOptions ao = agentOptions(o, *routes, *sh.backend, endpoint);
  auto agent = broker::startBrokerAgent(ao, makeCallbacks(sh));
  if (!agent.isOk()) return spdlog::error("{}", agent.status().toString()), 2;
  sh.agent.store(agent->get());
  spdlog::info("{}: registering with broker {} (routes {}) as {} backend, data endpoint {}",
               o.worker.name, o.broker, *routes, backendKindName(ao.self.backend),
               ao.self.data_endpoint);
  std::cout << "READY " << endpoint << std::endl;
  std::atomic<bool> monitor_stop{false};
  std::thread mon([&] { monitor(sh, monitor_stop, o.worker.window); });
  int code = 0;
  std::optional<Assignment> a = awaitAssignment(sh, stop);
  if (a.has_value()) {
    Status hosted = hostAssignment(sh, *a, *dir, **agent);
    if (!hosted.isOk()) {
      spdlog::error("{}: cannot host the assignment: {}", o.worker.name, hosted.toString());
      code = 3;
    } else {
      Status s = sh.worker->run(stop);
      if (!s.isOk()) spdlog::error("{}", s.toString()), code = 1;
    }
  }
  monitor_stop.store(true);
  mon.join();
  sh.agent.store(nullptr);
  (*agent)->stop(code == 0 ? "sigterm" : "error");
  spdlog::info("{}: deregistered from the broker", o.worker.name);
  return code;
}

}  // namespace

Result<std::string> defaultRoutesEndpoint(const std::string& broker) {
  const size_t colon = broker.rfind(':');
  if (colon == std::string::npos || colon + 1 >= broker.size()) {
    return invalidArgument("broker endpoint '" + broker + "' has no port; pass --broker-routes");
  }
  const std::string port = broker.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5) {
    return invalidArgument("broker endpoint '" + broker + "' has no numeric port");
  }
  return broker.substr(0, colon + 1) + std::to_string(std::stoi(port) + 1);
}

int serveWithBroker(BrokerModeOptions o, const std::atomic<bool>& stop) {
  o.backend.threads = o.worker.threads;
  auto setup = setUpBackend(o.backend);
  if (!setup.isOk()) return spdlog::error("{}", setup.status().toString()), 3;
  hal::Backend& backend = *(*setup)->backend;
  if (o.worker.threads == 0) o.worker.threads = backend.info().capacity;
  auto context = transport::makeTransportContext(1);
  if (!context.isOk()) return spdlog::error("{}", context.status().toString()), 3;
  std::unique_ptr<Clock> clock = makeSystemClock();
  Shared sh;
  sh.backend = &backend;
  sh.name = o.worker.name;
  WorkerHooks hooks = (*setup)->hooks;
  hooks.on_backend_fault = [&sh](const Status& s) { sh.reportFault(s.message()); };
  auto worker = Worker::makeUnassigned(**context, *clock, backend, o.worker, std::move(hooks));
  if (!worker.isOk()) return spdlog::error("{}", worker.status().toString()), 3;
  sh.worker = worker->get();
  Result<std::string> endpoint = (*worker)->bind();
  if (!endpoint.isOk()) return spdlog::error("{}", endpoint.status().toString()), 3;
  spdlog::info("{}: bound {} with backend {}", o.worker.name, *endpoint, backend.info().name);
  return runAgentAndServe(o, sh, *endpoint, stop);
}

}  // namespace spikeline::workers
