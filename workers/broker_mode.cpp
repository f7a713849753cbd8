#include "workers/broker_mode.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "broker/agent/broker_agent.h"
#include "workers/broker_hosting.h"

namespace spikeline::workers {
namespace {

std::string hostName() {
  char buf[256] = {0};
  return ::gethostname(buf, sizeof(buf) - 1) == 0 ? std::string(buf) : std::string("localhost");
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

// The data endpoint told to the broker: --advertise, whose port ":0" or ":*" means the port the
// bind got (a worker bound to port 0 behind a name others reach it by); else the bound one.
std::string advertisedDataEndpoint(const std::string& advertise, const std::string& bound) {
  if (advertise.empty()) return bound;
  const size_t colon = advertise.rfind(':'), bound_colon = bound.rfind(':');
  const std::string port = colon == std::string::npos ? "" : advertise.substr(colon + 1);
  if ((port == "0" || port == "*") && bound_colon != std::string::npos) {
    return advertise.substr(0, colon) + bound.substr(bound_colon);
  }
  return advertise;
}

broker::AgentOptions agentOptions(const BrokerModeOptions& o, const std::string& routes,
                                  const hal::Backend& backend, const std::string& endpoint) {
  broker::AgentOptions a;
  a.broker_endpoint = o.broker;
  a.routes_endpoint = routes;
  a.self.worker = WorkerId{o.worker.name};
  a.self.backend = backend.info().kind;
  a.self.capacity = o.worker.window;
  a.self.data_endpoint = advertisedDataEndpoint(o.advertise, endpoint);
  a.self.node = o.node.empty() ? hostName() : o.node;
  a.self.precisions = backend.info().precisions;
  a.replace = o.replace;
  a.curve = o.worker.curve;  // one key pair per process: control and data plane
  a.self.curve_key = o.worker.curve.self.public_key;
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
  constexpr int kRefusedExitCode = 4;
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
  if (o.on_ready) o.on_ready(endpoint);
  std::atomic<bool> monitor_stop{false};
  std::thread mon([&] { monitor(sh, monitor_stop, stop, o.worker.window); });
  int code = 0;
  for (std::optional<Assignment> a = awaitAssignment(sh, stop); a.has_value();
       a = awaitAssignment(sh, stop)) {
    sh.rehost.store(false);
    sh.run_stop.store(stop.load() || sh.refused.load());
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
    if (stop.load() || sh.refused.load() || !sh.rehost.load()) break;
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
  if (sh.refused.load()) {
    spdlog::error("{}: the broker refused this worker: {}", o.worker.name, (*agent)->refusal());
    (*agent)->stop("refused", /*deregister=*/false);
    return kRefusedExitCode;
  }
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
  struct Announce {  // tells the probe about the backend for exactly its lifetime
    const std::function<void(const hal::Backend*)>& f;
    Announce(const std::function<void(const hal::Backend*)>& fn, const hal::Backend& b) : f(fn) {
      if (f) f(&b);
    }
    ~Announce() {
      if (f) f(nullptr);
    }
  } announce(o.on_backend, backend);
  if (o.worker.threads == 0) o.worker.threads = backend.info().capacity;
  auto context = transport::makeTransportContext(1);
  if (!context.isOk()) return spdlog::error("{}", context.status().toString()), 3;
  std::unique_ptr<Clock> clock = makeSystemClock();
  Shared sh;
  sh.backend = &backend;
  if (o.worker.metrics != nullptr) sh.timing = OperatorTiming{o.worker.metrics, clock.get()};
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
