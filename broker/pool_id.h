// Pool identity of a stage, and the broker's summary of a topology (DeployedModel).
// Pure functions over values. Thread safety: safe from any thread.
#pragma once

#include "broker/state.h"
#include "core/topology.h"

namespace spikeline::broker {

// The operator's id for a one-operator stage; for a stage of several operators, a 64-bit
// FNV-1a over their ids in order (so equal operator sequences share a pool).
OperatorId stagePoolId(const Topology& topology, const Stage& stage);

// The stages of `topology` with their pool ids and placements. A stage whose pool id an earlier
// stage of the same model already has (identical operators at two positions) gets a derived id
// of its own, so each position has its own workers.
DeployedModel summarizeTopology(const Topology& topology);

}  // namespace spikeline::broker
