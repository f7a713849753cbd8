#include "workers/broker_mode.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
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

std::string hostName() {
  char buf[256] = {0};
  return ::gethostname(buf, sizeof(buf) - 1) == 0 ? std::string(buf) : std::string("localhost");
}

// Shared between main's thread, the agent's callbacks and the health monitor.
struct Shared {
  std::mutex worker_mu;
  Worker* worker = nullptr;  // guarded by worker_mu (replaced when re-hosting)
  std::atomic<bool> run_stop{false};  // ends the current Worker::run (stop or re-host)
  std::atomic<bool> rehost{false};    // the assignment names other stages than those hosted
  std::atomic<bool> add_pending{false};  // the assignment adds stages (hosted alongside)
  std::vector<ModelRef> to_expect;       // models about to be hosted alongside, guarded by mu
  std::filesystem::path dir;             // where assignments are materialized
  hal::Backend* backend = nullptr;
  std::string name;
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Assignment> assignment;  // the latest, guarded by mu
  bool hosting = false;                    // guarded by mu
  uint64_t generation = 0;                 // bumped per fresh data plane, guarded by mu
  std::vector<ModelRef> hosted_models;     // guarded by mu
  std::vector<std::string> hosted_stages;  // "model/stage", guarded by mu
  std::atomic<broker::BrokerAgent*> agent{nullptr};
  std::atomic<bool> fault_reported{false};

  // "model/stage" of each stage `a` asks this worker to host (none for role none).
  static std::vector<std::string> stagesOf(const Assignment& a) {
    std::vector<std::string> names;
    if (a.role == AssignmentRole::kNone) return names;
    for (const broker::AssignedStage& st : a.stages) {
      names.push_back(st.model.toString() + "/" + st.stage);
    }
    return names;
  }

  // While hosting, compares the latest assignment with what is hosted: stages only added (a
  // model joined a shared pool) are hosted alongside by the monitor thread without interrupting
  // the others (add_pending); stages only removed stay hosted, idle (harmless, and ready if the
  // model comes back); anything else (another pool) ends the current run to re-host on a fresh
  // data plane. REQUIRES mu.
  void checkRehostLocked() {
    if (!hosting || !assignment.has_value()) return;
    const std::vector<std::string> names = stagesOf(*assignment);
    if (names == hosted_stages) return;
    auto within = [](const std::vector<std::string>& a, const std::vector<std::string>& b) {
      return std::all_of(a.begin(), a.end(),
                         [&](const std::string& x) { return std::find(b.begin(), b.end(), x) != b.end(); });
    };
    if (within(hosted_stages, names)) {
      spdlog::info("{}: the assignment adds {} stage(s): hosting them alongside", name,
                   names.size() - hosted_stages.size());
      for (const broker::AssignedStage& st : assignment->stages) {
        if (std::find(hosted_models.begin(), hosted_models.end(), st.model) == hosted_models.end()) {
          to_expect.push_back(st.model);
        }
      }
      add_pending.store(true);
    } else if (within(names, hosted_stages)) {
      spdlog::info("{}: the assignment drops stage(s); they stay loaded, idle", name);
    } else {
      spdlog::info("{}: the assignment names other stages ({} hosted, {} assigned): re-hosting",
                   name, hosted_stages.size(), names.size());
      rehost.store(true);
      run_stop.store(true);
    }
  }

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
    std::vector<ModelRef> expect;
    {
      std::lock_guard<std::mutex> lock(sh.mu);
      sh.assignment = a;
      sh.cv.notify_all();
      sh.checkRehostLocked();
      expect.swap(sh.to_expect);
    }
    // Frames for a model being added are nacked retryable until it is loaded (not "not hosted").
    std::lock_guard<std::mutex> lock(sh.worker_mu);
    for (const ModelRef& m : expect) sh.worker->expect(m);
  };
  cb.on_routes = [&sh](const wire::RouteTable& table) {
    std::vector<ModelRef> models;
    {
      std::lock_guard<std::mutex> lock(sh.mu);
      models = sh.hosted_models;
    }
    std::lock_guard<std::mutex> lock(sh.worker_mu);
    for (const ModelRef& m : models) sh.worker->updateRoutes(fromRouteTable(table, m));
  };
  cb.on_inject_fault = [&sh](const broker::InjectFault& f) {
    std::lock_guard<std::mutex> lock(sh.worker_mu);
    (void)sh.worker->injectFault(FaultRequest{f.whole_chip, f.core, f.permanent, f.failing_runs});
  };
  return cb;
}

// Waits for an assignment with stages; nullopt when stopped first.
std::optional<Assignment> awaitAssignment(Shared& sh, const std::atomic<bool>& stop) {
  spdlog::info("{}: serving nothing until the broker assigns stages", sh.name);
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

// Materializes, loads, compiles and hosts the assignment's stages not hosted yet: one per model
// using the pool (a pool shared across models is hosted once per model; each model's routes pick
// its own next hop). Works before the worker runs and while it runs (Worker::host is
// thread-safe).
Status hostAssignment(Shared& sh, const Assignment& a, const broker::BrokerAgent& agent) {
  const auto started = std::chrono::steady_clock::now();
  SPIKELINE_ASSIGN_OR_RETURN(auto files, broker::materializeAssignment(a, sh.dir));
  std::vector<std::string> already;
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(sh.mu);
    already = sh.hosted_stages;
    generation = sh.generation;
  }
  std::vector<ModelRef> models;
  std::vector<std::string> added;
  for (const broker::MaterializedStage& m : files) {
    const std::string key = m.model.toString() + "/" + m.stage;
    if (std::find(already.begin(), already.end(), key) != already.end()) continue;
    SPIKELINE_ASSIGN_OR_RETURN(Topology topology, topology::loadTopologyFile(m.yaml_path));
    const PipelineRoute route = fromRouteTable(agent.routes(), topology.model);
    SPIKELINE_ASSIGN_OR_RETURN(auto stages,
                               prepareStages(*sh.backend, topology, {m.stage}, route, true));
    {
      std::lock_guard<std::mutex> lock(sh.worker_mu);
      SPIKELINE_RETURN_IF_ERROR(sh.worker->host(topology, std::move(stages)));
    }
    models.push_back(topology.model);
    added.push_back(key);
  }
  std::vector<ModelRef> expect;
  {
    std::lock_guard<std::mutex> lock(sh.mu);
    // The monitor thread may have hosted on a data plane replaced meanwhile: nothing to record.
    if (generation != sh.generation) return Status::ok();
    sh.hosting = true;
    sh.hosted_models.insert(sh.hosted_models.end(), models.begin(), models.end());
    sh.hosted_stages.insert(sh.hosted_stages.end(), added.begin(), added.end());
    sh.checkRehostLocked();  // an assignment that arrived while this one was being prepared
    expect.swap(sh.to_expect);
  }
  {
    std::lock_guard<std::mutex> lock(sh.worker_mu);
    for (const ModelRef& m : expect) sh.worker->expect(m);
    for (const ModelRef& m : models) sh.worker->updateRoutes(fromRouteTable(agent.routes(), m));
  }
  std::string joined;
  for (const std::string& n : added) joined += (joined.empty() ? "" : ", ") + n;
  const double prepared_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("{}: hosting {} stage(s) [{}] as {}; prepared in {:.2f} ms (materialize, load, "
               "compile/map on {})",
               sh.name, added.size(), joined, broker::assignmentRoleName(a.role), prepared_ms,
               sh.backend->info().name);
  return Status::ok();
}

// Monitor thread: hosts the stages a changed assignment adds (a model joined a shared pool).
void hostAdded(Shared& sh) {
  broker::BrokerAgent* agent = sh.agent.load();
  std::optional<Assignment> a;
  {
    std::lock_guard<std::mutex> lock(sh.mu);
    if (!sh.hosting || sh.rehost.load()) return;  // the main thread re-hosts everything
    a = sh.assignment;
  }
  if (agent == nullptr || !a.has_value()) return;
  Status s = hostAssignment(sh, *a, *agent);
  if (!s.isOk()) spdlog::error("{}: cannot host the added stages: {}", sh.name, s.toString());
}

// Heartbeat load + health every 100 ms; a failed backend is reported at once. Passes the
// process's stop on to the current Worker::run (every 20 ms).
void monitor(Shared& sh, const std::atomic<bool>& stop, const std::atomic<bool>& process_stop,
             uint32_t capacity) {
  int tick = 0;
  while (!stop.load()) {
    if (process_stop.load()) sh.run_stop.store(true);
    if (sh.add_pending.exchange(false)) hostAdded(sh);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (++tick % 5 != 0) continue;
    broker::BrokerAgent* a = sh.agent.load();
    const hal::BackendHealth h = sh.backend->health();
    if (a != nullptr) {
      size_t in_flight = 0;
      {
        std::lock_guard<std::mutex> lock(sh.worker_mu);
        in_flight = sh.worker->inFlight();
      }
      a->setLoad(static_cast<float>(in_flight) / float(capacity == 0 ? 1 : capacity),
                 toWire(h.state));
    }
    if (h.state == hal::HealthState::kHealthy) sh.fault_reported.store(false);
    if (h.state == hal::HealthState::kFailed ||
        (h.state == hal::HealthState::kDegraded && !h.failed_cores.empty())) {
      sh.reportFault(h.detail);
    }
  }
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

// What a fresh data plane is made of: a Worker is re-created (same endpoint) to re-host.
struct Plane {
  transport::TransportContext& context;
  const Clock& clock;
  hal::Backend& backend;
  WorkerOptions options;
  WorkerHooks hooks;

  // An unassigned Worker bound to `options.bind`; `endpoint` gets the bound one. Re-binding an
  // endpoint just closed can fail for a moment (the listener closes asynchronously): `retries`
  // more tries, 10 ms apart.
  Result<std::unique_ptr<Worker>> make(std::string& endpoint, int retries = 0) {
    Status last = Status::ok();
    for (int attempt = 0; attempt <= retries; ++attempt) {
      SPIKELINE_ASSIGN_OR_RETURN(auto w, Worker::makeUnassigned(context, clock, backend, options, hooks));
      Result<std::string> bound = w->bind();
      if (bound.isOk()) {
        endpoint = *bound;
        return w;
      }
      last = bound.status();
      if (attempt < retries) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return last;
  }
};

// Ends the data plane for a re-host and binds a fresh one on the same endpoint.
Status replaceWorker(Shared& sh, Plane& plane, std::unique_ptr<Worker>& current,
                     std::string& endpoint) {
  std::lock_guard<std::mutex> lock(sh.worker_mu);
  current.reset();  // closes its sockets; senders re-send what it held
  plane.options.bind = endpoint;
  SPIKELINE_ASSIGN_OR_RETURN(current, plane.make(endpoint, /*retries=*/200));
  sh.worker = current.get();
  return Status::ok();
}

// After the worker is bound: agent, assignment, hosting, serving; re-hosting in place (a fresh
// Worker on the same endpoint) whenever the assignment names other stages. Returns the exit code.
int runAgentAndServe(BrokerModeOptions& o, Shared& sh, Plane& plane,
                     std::unique_ptr<Worker>& current, std::string endpoint,
                     const std::atomic<bool>& stop) {
  Result<std::string> routes =
      o.broker_routes.empty() ? defaultRoutesEndpoint(o.broker) : Result<std::string>(o.broker_routes);
  if (!routes.isOk()) return spdlog::error("{}", routes.status().toString()), 2;
  auto dir = makeWorkDir(o.work_dir, o.worker.name);
  if (!dir.isOk()) return spdlog::error("{}", dir.status().toString()), 2;
  sh.dir = *dir;
  const broker::AgentOptions ao = agentOptions(o, *routes, *sh.backend, endpoint);
  auto agent = broker::startBrokerAgent(ao, makeCallbacks(sh));
  if (!agent.isOk()) return spdlog::error("{}", agent.status().toString()), 2;
  sh.agent.store(agent->get());
  spdlog::info("{}: registering with broker {} (routes {}) as {} backend, data endpoint {}",
               o.worker.name, o.broker, *routes, backendKindName(ao.self.backend),
               ao.self.data_endpoint);
  std::cout << "READY " << endpoint << std::endl;
  std::atomic<bool> monitor_stop{false};
  std::thread mon([&] { monitor(sh, monitor_stop, stop, o.worker.window); });
  int code = 0;
  for (std::optional<Assignment> a = awaitAssignment(sh, stop); a.has_value();
       a = awaitAssignment(sh, stop)) {
    sh.rehost.store(false);
    sh.run_stop.store(stop.load());
    Status hosted = hostAssignment(sh, *a, **agent);
    if (!hosted.isOk()) {
      spdlog::error("{}: cannot host the assignment: {}", o.worker.name, hosted.toString());
      code = 3;
      break;
    }
    Status s = sh.worker->run(sh.run_stop);
    if (!s.isOk()) {
      spdlog::error("{}", s.toString());
      code = 1;
      break;
    }
    if (stop.load() || !sh.rehost.load()) break;
    {
      std::lock_guard<std::mutex> lock(sh.mu);
      sh.hosting = false;
      ++sh.generation;
      sh.hosted_models.clear();
      sh.hosted_stages.clear();
    }
    Status fresh = replaceWorker(sh, plane, current, endpoint);
    if (!fresh.isOk()) {
      spdlog::error("{}: cannot re-bind {} to re-host: {}", o.worker.name, endpoint,
                    fresh.toString());
      code = 3;
      break;
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
  Plane plane{**context, *clock, backend, o.worker, std::move(hooks)};
  std::string endpoint;
  auto worker = plane.make(endpoint);
  if (!worker.isOk()) return spdlog::error("{}", worker.status().toString()), 3;
  std::unique_ptr<Worker> current = std::move(worker).value();
  sh.worker = current.get();
  spdlog::info("{}: bound {} with backend {}", o.worker.name, endpoint, backend.info().name);
  const int code = runAgentAndServe(o, sh, plane, current, endpoint, stop);
  std::lock_guard<std::mutex> lock(sh.worker_mu);
  current.reset();
  return code;
}

}  // namespace spikeline::workers
