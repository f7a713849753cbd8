#include "broker/pool_id.h"

#include <map>

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

namespace {

// Mixes `occurrence` into a pool id (FNV-1a over its 8 bytes, then the count).
OperatorId repeatedPool(OperatorId id, uint64_t occurrence) {
  uint64_t h = 1469598103934665603ull;
  for (uint64_t v : {id.value, occurrence}) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xffu;
      h *= 1099511628211ull;
    }
  }
  return OperatorId{h};
}

}  // namespace

DeployedModel summarizeTopology(const Topology& topology) {
  DeployedModel out;
  out.model = topology.model;
  out.precision = topology.precision;
  std::map<uint64_t, uint64_t> seen;  // pool id -> stages of this model already in it
  for (const auto& stage : topology.stages) {
    OperatorId pool = stagePoolId(topology, stage);
    // Two stages of one model with the same operators (e.g. two identical pool+LIF blocks)
    // are two pipeline positions: each needs its own workers, so the second gets its own pool
    // (still shared with another model that repeats the same stage at the same occurrence).
    if (const uint64_t n = seen[pool.value]++; n > 0) pool = repeatedPool(pool, n);
    out.stages.push_back(DeployedStage{stage.name, pool, stage.operators, stage.placement});
  }
  return out;
}

}  // namespace spikeline::broker
