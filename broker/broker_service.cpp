#include "broker/broker_service.h"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "broker/broker_metrics.h"
#include "broker/routes.h"
#include "broker/service_state.h"
#include "wire/codec.h"

namespace spikeline::broker {
namespace {

std::string encodeTable(const wire::RouteTable& t) {
  auto buf = wire::encode(wire::Message{t});
  if (!buf) return {};
  return std::string(reinterpret_cast<const char*>(buf->bytes().data()), buf->size());
}

// Distinct (peer, kind) refusals remembered for log-once; the set is cleared when full.
constexpr size_t kMaxRefusalsLogged = 1024;

}  // namespace

Parts okReply(uint64_t id, const std::string& fields_json, Parts attachments) {
  nlohmann::json j = nlohmann::json::parse(fields_json, nullptr, false);
  if (!j.is_object()) j = nlohmann::json::object();
  j["id"] = id;
  j["ok"] = true;
  Parts parts{kTagReply, j.dump()};
  parts.insert(parts.end(), attachments.begin(), attachments.end());
  return parts;
}

Parts errorReply(uint64_t id, const Status& status) {
  // Messages may quote names from the wire: invalid UTF-8 is replaced, never thrown on.
  return {kTagReply, nlohmann::json{{"id", id},
                                    {"ok", false},
                                    {"code", std::string(statusCodeName(status.code()))},
                                    {"message", status.message()}}
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

void BrokerService::State::event(const BrokerEvent& e) {
  spdlog::info("event {} {}: {}", e.kind, e.subject, e.detail);
  if (options.metrics != nullptr) countBrokerEvent(*options.metrics, e);
  const int64_t at = clock.wallNs();
  if (!dirty) {
    auto id = store.appendEvent(e, at);
    if (id) return;
    dirty = true;
  }
  if (pending_events.size() < options.max_pending_events) pending_events.emplace_back(e, at);
}

void BrokerService::State::persist(const std::function<Status()>& write) {
  if (dirty) return;  // syncAll() will write everything
  Status s = write();
  if (!s.isOk()) {
    spdlog::warn("store write failed, serving from memory until it returns: {}", s.toString());
    dirty = true;
  }
}

Status BrokerService::State::syncAll() {
  SPIKELINE_RETURN_IF_ERROR(store.ping());
  SPIKELINE_ASSIGN_OR_RETURN(auto stored, store.loadModels());
  for (const auto& m : stored) {
    if (!models.count(m.summary.model))
      SPIKELINE_RETURN_IF_ERROR(store.deleteModel(m.summary.model));
  }
  for (const auto& [ref, m] : models) SPIKELINE_RETURN_IF_ERROR(store.putModel(m));
  SPIKELINE_ASSIGN_OR_RETURN(auto stored_workers, store.loadWorkers());
  for (const auto& w : stored_workers) {
    if (!workers.count(w.id.name)) SPIKELINE_RETURN_IF_ERROR(store.deleteWorker(w.id));
  }
  for (const auto& [name, w] : workers) SPIKELINE_RETURN_IF_ERROR(store.putWorker(w));
  SPIKELINE_RETURN_IF_ERROR(store.putPlacement(placement));
  SPIKELINE_RETURN_IF_ERROR(store.putHealth(last_health));
  SPIKELINE_RETURN_IF_ERROR(store.putRoutes(routes));
  while (!pending_events.empty()) {
    const auto& [e, at] = pending_events.front();
    SPIKELINE_RETURN_IF_ERROR(store.appendEvent(e, at).status());
    pending_events.erase(pending_events.begin());
  }
  dirty = false;
  synced_connections = store.connectionCount();
  return Status::ok();
}

std::vector<DeployedModel> BrokerService::State::summaries() const {
  std::vector<DeployedModel> out;
  for (const auto& [ref, m] : models) out.push_back(m.summary);
  return out;
}

std::vector<WorkerInfo> BrokerService::State::workerList() const {
  std::vector<WorkerInfo> out;
  for (const auto& [name, w] : workers) out.push_back(w);
  return out;
}

std::string BrokerService::State::peerOf(const std::string& worker) const {
  auto it = sessions.find(worker);
  return it == sessions.end() ? std::string() : it->second.peer;
}

void BrokerService::State::refuse(const std::string& peer, const std::string& worker,
                                  const std::string& what, const Status& status, Outbox& out) {
  out.to_peers.emplace_back(peer, errorReply(0, status));
  if (refusals_logged.size() >= kMaxRefusalsLogged) refusals_logged.clear();
  if (!refusals_logged.insert({peer, what}).second) return;
  spdlog::warn("refused {} for worker '{}': {}", what, worker, status.message());
  event({"refused", worker, what + ": " + status.message()});
}

Assignment BrokerService::State::assignmentFor(const std::string& worker) const {
  Assignment a;
  const OperatorId* pool = placement.findPoolOf(WorkerId{worker});
  if (pool == nullptr) return a;
  const PoolAssignment& pa = placement.pools.at(*pool);
  a.pool = pool->toHex();
  a.role = std::find(pa.serving.begin(), pa.serving.end(), WorkerId{worker}) != pa.serving.end()
               ? AssignmentRole::kServing
               : AssignmentRole::kStandby;
  for (const auto& [ref, m] : models) {
    for (const auto& st : m.summary.stages) {
      if (st.pool != *pool) continue;
      a.stages.push_back(AssignedStage{ref, st.name, st.operators, m.file_name, m.yaml, m.files});
    }
  }
  return a;
}

void BrokerService::State::publishRoutes(Outbox& out) {
  out.to_publish.push_back({kTagRoutes, encodeTable(routes)});
  next_publish_ns = clock.monotonicNs() + options.republish_interval_ns;
}

void BrokerService::State::recompute(Outbox& out) {
  const HealthSnapshot heard = health.snapshot();  // heartbeats and faults
  // A worker whose endpoint has not answered a hello yet is placed (a worker answers hellos
  // once it hosts its assignment) but not routed (decision 0010 §7).
  PlacementOutcome outcome = computePlacement(summaries(), workerList(), heard, placement);
  HealthSnapshot health_now = heard;  // routes: without the placed, unverified workers
  for (const auto& [name, u] : unverified) {
    const bool placed = outcome.placement.findPoolOf(WorkerId{name}) != nullptr;
    if ((placed || u.next_check_ns != 0) && heard.isUp(WorkerId{name})) {
      health_now.down[name] = unverifiedReason(u);
    }
  }
  for (const auto& e : outcome.events) event(e);
  last_errors.clear();
  for (const auto& err : outcome.errors) {
    spdlog::error("{}", err.message());
    last_errors.push_back(err.message());
  }
  if (!(outcome.placement == placement)) {
    placement = outcome.placement;
    persist([&] { return store.putPlacement(placement); });
  }
  if (!(health_now == last_health)) {
    last_health = health_now;
    persist([&] { return store.putHealth(last_health); });
  }
  wire::RouteTable table = computeRoutes(summaries(), placement, workerList(), health_now, routes);
  if (table.epoch != routes.epoch) {
    routes = table;
    persist([&] { return store.putRoutes(routes); });
    event({"routes", "epoch " + std::to_string(routes.epoch),
           std::to_string(routes.models.size()) + " model(s)"});
    publishRoutes(out);
  }
  if (options.metrics != nullptr) {
    setBrokerGauges(*options.metrics, routes.epoch,
                    workersByState(workers, placement, health_now), last_errors.size());
    setFallbackMetrics(*options.metrics, fallbackReplicas(summaries(), workers, placement),
                       fallback_replicas);
  }
  for (const auto& [name, w] : workers) {
    if (!heard.isUp(w.id)) continue;
    Assignment a = assignmentFor(name);
    auto it = sent.find(name);
    if (it != sent.end() && it->second == a) continue;
    const std::string peer = peerOf(name);
    if (peer.empty()) continue;  // no session yet: sent when it registers
    out.to_peers.emplace_back(peer, encodeAssignment(a));
    if (!a.pool.empty()) checkEndpointNow(*this, name, out);  // it answers once it hosts
    sent[name] = std::move(a);
  }
}

BrokerService::BrokerService(Store& store, const Clock& clock, ServiceOptions options)
    : s_(std::make_unique<State>(store, clock, options)) {}

BrokerService::~BrokerService() = default;

const wire::RouteTable& BrokerService::routes() const { return s_->routes; }

Status BrokerService::restore(Outbox& out) {
  State& s = *s_;
  SPIKELINE_ASSIGN_OR_RETURN(auto models, s.store.loadModels());
  SPIKELINE_ASSIGN_OR_RETURN(auto workers, s.store.loadWorkers());
  SPIKELINE_ASSIGN_OR_RETURN(auto placement, s.store.loadPlacement());
  SPIKELINE_ASSIGN_OR_RETURN(auto health, s.store.loadHealth());
  SPIKELINE_ASSIGN_OR_RETURN(auto routes, s.store.loadRoutes());
  for (auto& m : models) s.models[m.summary.model] = std::move(m);
  for (auto& w : workers) {
    s.health.markRegistered(w.id);
    s.workers[w.id.name] = std::move(w);
  }
  for (const auto& [name, reason] : health.down) {
    if (s.workers.count(name)) s.health.restoreDown(WorkerId{name}, reason, isFaultReason(reason));
  }
  s.placement = placement;
  s.last_health = s.health.snapshot();
  s.routes = routes;
  s.synced_connections = s.store.connectionCount();
  if (s.routes.epoch == 0) {
    // No table in the store (first start, or Redis lost its data): start epochs at wall-clock
    // milliseconds so subscribers still holding a table from before accept the new ones.
    s.routes.epoch = static_cast<RouteEpoch>(s.clock.wallNs() / 1'000'000);
  }
  spdlog::info("restored {} model(s), {} worker(s), route epoch {}", s.models.size(),
               s.workers.size(), s.routes.epoch);
  s.recompute(out);
  if (s.routes.epoch > 0) s.publishRoutes(out);
  return Status::ok();
}


void BrokerService::onMessage(const std::string& peer, const Parts& parts, Outbox& out) {
  State& s = *s_;
  if (parts.empty()) return;
  // Worker messages are exempt: admin traffic must never starve a heartbeat (docs/security.md).
  const bool worker_shaped = (parts[0] == kTagWire && parts.size() >= 2 && parts.size() <= 3) ||
                             parts[0] == kTagInjected;
  if (!worker_shaped && !admitAdmin(s, peer, parts, out)) return;
  if (parts[0] == kTagAdmin) {
    handleAdmin(s, peer, parts, out);
    return;
  }
  if (parts[0] == kTagInjected) {
    onInjectResult(s, peer, parts, out);
    return;
  }
  if (parts[0] != kTagWire || parts.size() < 2 || parts.size() > 3) {
    spdlog::warn("peer sent a message with unknown tag or shape; refused");
    out.to_peers.emplace_back(
        peer, errorReply(0, invalidArgument("unknown message tag or shape: expected [\"wire\", "
                                            "message] or [\"admin\", request JSON, ...]")));
    return;
  }
  auto msg = wire::decode({reinterpret_cast<const uint8_t*>(parts[1].data()), parts[1].size()});
  if (!msg) {
    // No worker sends these: charged like admin traffic, so garbage cannot flood the log.
    if (!admitAdmin(s, peer, parts, out)) return;
    spdlog::warn("malformed worker message: {}", msg.status().toString());
    out.to_peers.emplace_back(peer, errorReply(0, msg.status()));
    return;
  }
  if (auto* r = std::get_if<wire::RegisterWorker>(&*msg)) {
    onRegister(s, peer, *r, wantsReplace(parts), out);
  } else if (auto* hb = std::get_if<wire::Heartbeat>(&*msg)) {
    onHeartbeat(s, peer, *hb, out);
  } else if (auto* d = std::get_if<wire::Deregister>(&*msg)) {
    onDeregister(s, peer, *d, out);
  } else if (auto* f = std::get_if<wire::HardwareFault>(&*msg)) {
    onFault(s, peer, *f, out);
  } else {
    out.to_peers.emplace_back(peer, errorReply(0, invalidArgument("not a broker message")));
  }
}

void BrokerService::tick(Outbox& out) {
  State& s = *s_;
  expireFaults(s, out);
  auto down = s.health.sweep();
  for (const auto& e : down) s.event(e);
  if (!down.empty()) s.recompute(out);
  const int64_t now = s.clock.monotonicNs();
  if (!s.dirty && now >= s.next_store_retry_ns) {
    // A store that stops answering may come back empty (no AOF): rewrite everything then.
    s.next_store_retry_ns = now + 5 * s.options.store_retry_interval_ns;
    if (!s.store.ping().isOk() || s.store.connectionCount() != s.synced_connections) {
      spdlog::warn("store unreachable or reconnected; will rewrite the state");
      s.dirty = true;
      s.next_store_retry_ns = now;  // try at once
    }
  }
  if (s.dirty && now >= s.next_store_retry_ns) {
    s.next_store_retry_ns = now + s.options.store_retry_interval_ns;
    Status st = s.syncAll();
    if (st.isOk()) {
      spdlog::info("store is back: state caught up");
      s.event({"store_recovered", "redis", "state rewritten after an outage"});
    }
  }
  if (s.routes.epoch > 0 && now >= s.next_publish_ns) s.publishRoutes(out);
  recheckEndpoints(s, now, out);
}

int64_t BrokerService::msUntilTick() const {
  const State& s = *s_;
  const int64_t now = s.clock.monotonicNs();
  int64_t ns = 100'000'000;  // Default poll: 100 ms
  if (s.routes.epoch > 0) ns = std::min(ns, std::max<int64_t>(0, s.next_publish_ns - now));
  int64_t health_ns = s.health.nsUntilNextDeadline();
  if (health_ns >= 0) ns = std::min(ns, health_ns);
  if (s.dirty) ns = std::min(ns, std::max<int64_t>(0, s.next_store_retry_ns - now));
  return (ns + 999'999) / 1'000'000;
}

}  // namespace spikeline::broker
