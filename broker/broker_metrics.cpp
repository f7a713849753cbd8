#include "broker/broker_metrics.h"

#include <algorithm>

namespace spikeline::broker {
namespace {

using metrics::MetricType;

constexpr const char* kEvents = "spikeline_broker_events_total";
constexpr const char* kHeartbeatMisses = "spikeline_broker_heartbeat_misses_total";
constexpr const char* kFaults = "spikeline_broker_hardware_faults_total";
constexpr const char* kRouteChanges = "spikeline_broker_route_changes_total";
constexpr const char* kFailovers = "spikeline_broker_failovers_total";
constexpr const char* kDeploys = "spikeline_broker_deploys_total";
constexpr const char* kUndeploys = "spikeline_broker_undeploys_total";
constexpr const char* kPlacementFailures = "spikeline_broker_placement_failures_total";
constexpr const char* kEpoch = "spikeline_broker_route_epoch";
constexpr const char* kWorkers = "spikeline_broker_workers";
constexpr const char* kProblems = "spikeline_broker_placement_problems";
constexpr const char* kFallbackReplicas = "spikeline_broker_fallback_replicas";
constexpr const char* kFallbacks = "spikeline_broker_fallbacks_total";
constexpr const char* kRateLimited = "spikeline_broker_rate_limited_total";

// Event kinds the broker records (broker/README.md); anything else counts as "other" so the
// label stays bounded.
constexpr const char* kKinds[] = {
    "registered", "reregistered", "deregistered", "worker_down", "worker_up",  "hardware_fault",
    "assigned",   "promoted",     "standby",      "unassigned",  "degraded",   "unplaced",
    "routes",     "deployed",     "undeployed",   "fault_injected", "store_recovered"};

}  // namespace

void declareBrokerMetrics(metrics::MetricsRegistry& r) {
  r.declare(kEvents, MetricType::kCounter, "Events the broker recorded, by kind.");
  r.declare(kHeartbeatMisses, MetricType::kCounter,
            "Times a worker was declared down for missing `liveness` heartbeats in a row.");
  r.declare(kFaults, MetricType::kCounter,
            "Hardware-fault reports (a failed chip, core or device), per worker.");
  r.declare(kRouteChanges, MetricType::kCounter, "Route tables published with a new epoch.");
  r.declare(kFailovers, MetricType::kCounter,
            "Standby workers promoted to serve a pool (traffic re-routed to them).");
  r.declare(kDeploys, MetricType::kCounter, "Models deployed.");
  r.declare(kUndeploys, MetricType::kCounter, "Models undeployed.");
  r.declare(kPlacementFailures, MetricType::kCounter,
            "Placement failures: a pool left without a replica (unplaced) or short of replicas "
            "(degraded).");
  r.declare(kEpoch, MetricType::kGauge, "Epoch of the route table the broker publishes.");
  r.declare(kWorkers, MetricType::kGauge, "Registered workers by state.");
  r.declare(kProblems, MetricType::kGauge, "Placement problems of the last recompute.");
  r.declare(kFallbackReplicas, MetricType::kGauge,
            "Serving replicas on a fallback backend (not the first their placement lists), by "
            "backend.");
  r.declare(kFallbacks, MetricType::kCounter,
            "Backend fallbacks: serving replicas moved onto a fallback backend.");
  r.declare(kRateLimited, MetricType::kCounter,
            "Requests refused with resource_exhausted by a per-connection rate limit, by limit "
            "(\"admin\": the broker's admin port).");
  for (const char* c : {kRouteChanges, kFailovers, kDeploys, kUndeploys, kFallbacks}) {
    r.setTotal(c, {}, 0);
  }
  r.setTotal(kRateLimited, {{"limit", "admin"}}, 0);
}

void countBrokerEvent(metrics::MetricsRegistry& r, const BrokerEvent& e) {
  const bool known = std::any_of(std::begin(kKinds), std::end(kKinds),
                                 [&](const char* k) { return e.kind == k; });
  r.increment(kEvents, {{"kind", known ? e.kind : "other"}});
  if (e.kind == "worker_down") r.increment(kHeartbeatMisses, {{"worker", e.subject}});
  if (e.kind == "hardware_fault") r.increment(kFaults, {{"worker", e.subject}});
  if (e.kind == "routes") r.increment(kRouteChanges, {});
  if (e.kind == "promoted") r.increment(kFailovers, {});
  if (e.kind == "deployed") r.increment(kDeploys, {});
  if (e.kind == "undeployed") r.increment(kUndeploys, {});
  if (e.kind == "unplaced" || e.kind == "degraded") {
    r.increment(kPlacementFailures, {{"kind", e.kind}});
  }
}

void countRateLimited(metrics::MetricsRegistry& r, const std::string& limit) {
  r.increment(kRateLimited, {{"limit", limit}});
}

std::map<std::string, size_t> workersByState(const std::map<std::string, WorkerInfo>& workers,
                                             const PlacementMap& placement,
                                             const HealthSnapshot& health) {
  std::map<std::string, size_t> out{{"serving", 0}, {"standby", 0}, {"idle", 0}, {"down", 0}};
  for (const auto& [name, w] : workers) {
    if (!health.isUp(w.id)) {
      ++out["down"];
      continue;
    }
    const OperatorId* pool = placement.findPoolOf(w.id);
    if (pool == nullptr) {
      ++out["idle"];
      continue;
    }
    const PoolAssignment& a = placement.pools.at(*pool);
    const bool serving = std::find(a.serving.begin(), a.serving.end(), w.id) != a.serving.end();
    ++out[serving ? "serving" : "standby"];
  }
  return out;
}

std::map<std::string, size_t> fallbackReplicas(const std::vector<DeployedModel>& models,
                                               const std::map<std::string, WorkerInfo>& workers,
                                               const PlacementMap& placement) {
  std::map<std::string, size_t> out;
  for (BackendKind b : {BackendKind::kCpu, BackendKind::kCuda, BackendKind::kChip}) {
    out[std::string(backendKindName(b))] = 0;
  }
  std::map<OperatorId, BackendKind> preferred;  // first model (ModelRef order) wins
  for (const DeployedModel& m : models) {
    for (const DeployedStage& s : m.stages) {
      if (!s.placement.backends.empty()) preferred.emplace(s.pool, s.placement.backends[0]);
    }
  }
  std::map<WorkerId, BackendKind> backend_of;
  for (const auto& [name, w] : workers) backend_of[w.id] = w.backend;
  for (const auto& [pool, a] : placement.pools) {
    auto want = preferred.find(pool);
    if (want == preferred.end()) continue;
    for (const WorkerId& w : a.serving) {
      auto b = backend_of.find(w);
      if (b != backend_of.end() && b->second != want->second) {
        ++out[std::string(backendKindName(b->second))];
      }
    }
  }
  return out;
}

void setFallbackMetrics(metrics::MetricsRegistry& r, const std::map<std::string, size_t>& by_backend,
                        size_t& previous_total) {
  size_t total = 0;
  for (const auto& [backend, n] : by_backend) {
    r.set(kFallbackReplicas, {{"backend", backend}}, double(n));
    total += n;
  }
  if (total > previous_total) r.increment(kFallbacks, {}, double(total - previous_total));
  previous_total = total;
}

void setBrokerGauges(metrics::MetricsRegistry& r, uint64_t route_epoch,
                     const std::map<std::string, size_t>& by_state, size_t placement_problems) {
  r.set(kEpoch, {}, static_cast<double>(route_epoch));
  for (const auto& [state, n] : by_state) r.set(kWorkers, {{"state", state}}, double(n));
  r.set(kProblems, {}, static_cast<double>(placement_problems));
}

}  // namespace spikeline::broker
