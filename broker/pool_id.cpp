#include "broker/pool_id.h"

namespace spikeline::broker {

const OperatorId* PlacementMap::findPoolOf(const WorkerId& w) const {
  for (const auto& [pool, assignment] : pools) {
    for (const auto& s : assignment.serving) {
      if (s == w) return &pool;
    }
    for (const auto& s : assignment.standby) {
      if (s == w) return &pool;
    }
  }
  return nullptr;
}

OperatorId stagePoolId(const Topology& topology, const Stage& stage) {
  std::vector<OperatorId> ids;
  for (const auto& name : stage.operators) {
    const OperatorSpec* spec = topology.findOperator(name);
    ids.push_back(spec != nullptr ? spec->id : OperatorId{});
  }
  if (ids.size() == 1) return ids.front();
  uint64_t h = 1469598103934665603ull;
  for (const auto& id : ids) {
    for (int i = 0; i < 8; ++i) {
      h ^= (id.value >> (8 * i)) & 0xffu;
      h *= 1099511628211ull;
    }
  }
  return OperatorId{h};
}

DeployedModel summarizeTopology(const Topology& topology) {
  DeployedModel out;
  out.model = topology.model;
  out.precision = topology.precision;
  for (const auto& stage : topology.stages) {
    out.stages.push_back(
        DeployedStage{stage.name, stagePoolId(topology, stage), stage.operators, stage.placement});
  }
  return out;
}

}  // namespace spikeline::broker
