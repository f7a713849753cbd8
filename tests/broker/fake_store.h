// FakeStore: an in-memory Store for unit tests of BrokerService; `available` switches it off to
// play an unreachable Redis. Header-only; tests only. Not thread-safe.
#pragma once

#include <map>

#include "broker/store.h"

namespace spikeline::broker::testing {

class FakeStore final : public Store {
 public:
  bool available = true;
  uint64_t connections = 1;
  std::map<ModelRef, StoredModel> models;
  std::map<std::string, WorkerInfo> workers;
  HealthSnapshot health;
  PlacementMap placement;
  wire::RouteTable routes;
  std::vector<StoredEvent> events;

  Status ping() override { return gate(); }
  uint64_t connectionCount() const override { return connections; }
  Status putModel(const StoredModel& m) override {
    SPIKELINE_RETURN_IF_ERROR(gate());
    return put(models[m.summary.model], m);
  }
  Status deleteModel(const ModelRef& m) override {
    SPIKELINE_RETURN_IF_ERROR(gate());
    models.erase(m);
    return Status::ok();
  }
  Result<std::vector<StoredModel>> loadModels() override {
    SPIKELINE_RETURN_IF_ERROR(gate());
    std::vector<StoredModel> out;
    for (const auto& [ref, m] : models) out.push_back(m);
    return out;
  }
  Status putWorker(const WorkerInfo& w) override {
    SPIKELINE_RETURN_IF_ERROR(gate());
    return put(workers[w.id.name], w);
  }
  Status deleteWorker(const WorkerId& w) override {
    SPIKELINE_RETURN_IF_ERROR(gate());
    workers.erase(w.name);
    return Status::ok();
  }
  Result<std::vector<WorkerInfo>> loadWorkers() override {
    SPIKELINE_RETURN_IF_ERROR(gate());
    std::vector<WorkerInfo> out;
    for (const auto& [name, w] : workers) out.push_back(w);
    return out;
  }
  Status putHealth(const HealthSnapshot& h) override { return put(health, h); }
  Result<HealthSnapshot> loadHealth() override { return getOr(health); }
  Status putPlacement(const PlacementMap& p) override { return put(placement, p); }
  Result<PlacementMap> loadPlacement() override { return getOr(placement); }
  Status putRoutes(const wire::RouteTable& r) override { return put(routes, r); }
  Result<wire::RouteTable> loadRoutes() override { return getOr(routes); }
  Result<std::string> appendEvent(const BrokerEvent& e, int64_t at_ns) override {
    SPIKELINE_RETURN_IF_ERROR(gate());
    events.push_back({std::to_string(events.size()), at_ns, e});
    return events.back().id;
  }
  Result<std::vector<StoredEvent>> readEvents(size_t) override { return getOr(events); }

 private:
  Status gate() const { return available ? Status::ok() : unavailable("fake store is down"); }
  template <typename T>
  Status put(T& slot, const T& value) {
    SPIKELINE_RETURN_IF_ERROR(gate());
    slot = value;
    return Status::ok();
  }
  template <typename T>
  Result<T> getOr(const T& value) const {
    SPIKELINE_RETURN_IF_ERROR(gate());
    return value;
  }
};

}  // namespace spikeline::broker::testing
