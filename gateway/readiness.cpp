#include "gateway/readiness.h"

namespace spikeline::gateway {

Readiness modelReadiness(const Topology& topology, const wire::RouteTable& table) {
  const std::string model = topology.model.toString();
  const wire::ModelRoute* route = nullptr;
  for (const wire::ModelRoute& m : table.models) {
    if (m.model == topology.model) route = &m;
  }
  if (route == nullptr) {
    return {false, "model " + model + " has no route (not deployed or not placed; route epoch " +
                       std::to_string(table.epoch) + ")"};
  }
  for (const Stage& stage : topology.stages) {
    const wire::StageRoute* found = nullptr;
    for (const wire::StageRoute& s : route->stages) {
      if (s.name == stage.name) found = &s;
    }
    if (found == nullptr || found->replicas.empty()) {
      return {false, "model " + model + ": stage '" + stage.name +
                         "' has no routed replica with a healthy device (route epoch " +
                         std::to_string(table.epoch) + ")"};
    }
  }
  return {true, ""};
}

Readiness serverReadiness(const std::vector<Topology>& models, const wire::RouteTable& table) {
  if (models.empty()) return {false, "no model configured"};
  for (const Topology& t : models) {
    Readiness r = modelReadiness(t, table);
    if (!r.ready) return r;
  }
  return {true, ""};
}

}  // namespace spikeline::gateway
