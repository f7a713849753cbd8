#include "workers/broker_hosting.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "broker/agent/materialize.h"
#include "topology/topology_loader.h"

namespace spikeline::workers {

std::vector<std::string> Shared::stagesOf(const Assignment& a) {
  std::vector<std::string> names;
  if (a.role == AssignmentRole::kNone) return names;
  for (const broker::AssignedStage& st : a.stages) {
    names.push_back(st.model.toString() + "/" + st.stage);
  }
  return names;
}

void Shared::checkRehostLocked() {
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

void Shared::reportFault(const std::string& detail) {
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
  cb.on_refused = [&sh](const std::string& message) {
    spdlog::error("{}: {}", sh.name, message);
    sh.refused.store(true);
    sh.run_stop.store(true);
    std::lock_guard<std::mutex> lock(sh.mu);
    sh.cv.notify_all();
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
    if (sh.worker == nullptr) return unavailable(sh.name + " hosts nothing yet");
    return sh.worker->injectFault(FaultRequest{f.whole_chip, f.core, f.permanent, f.failing_runs});
  };
  return cb;
}

std::optional<Assignment> awaitAssignment(Shared& sh, const std::atomic<bool>& stop) {
  spdlog::info("{}: serving nothing until the broker assigns stages", sh.name);
  auto next_log = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::unique_lock<std::mutex> lock(sh.mu);
  while (!stop.load() && !sh.refused.load()) {
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
                               prepareStages(*sh.backend, topology, {m.stage}, route, true, sh.timing));
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

namespace {

wire::BackendHealth toWire(hal::HealthState s) {
  switch (s) {
    case hal::HealthState::kHealthy: return wire::BackendHealth::kHealthy;
    case hal::HealthState::kDegraded: return wire::BackendHealth::kDegraded;
    case hal::HealthState::kFailed: return wire::BackendHealth::kFailed;
  }
  return wire::BackendHealth::kFailed;
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

}  // namespace

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

}  // namespace spikeline::workers
