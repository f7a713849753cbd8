// computeRoutes: the route table clients and workers use, from the deployed models and the
// placement: per model, per stage in pipeline order, the serving workers that are up.
// Pure. Thread safety: safe from any thread.
#pragma once

#include <vector>

#include "broker/state.h"
#include "wire/control.h"

namespace spikeline::broker {

// The epoch is previous.epoch + 1 when the models' routes differ from `previous`, else
// previous.epoch (so recomputing without a change publishes nothing new). Models are listed in
// ModelRef order; replicas in serving order.
wire::RouteTable computeRoutes(const std::vector<DeployedModel>& models,
                               const PlacementMap& placement,
                               const std::vector<WorkerInfo>& workers, const HealthSnapshot& health,
                               const wire::RouteTable& previous);

// Whether a subscriber holding `held` should replace it with `incoming`: only a strictly newer
// epoch wins (stale and repeated tables are ignored).
bool isNewer(const wire::RouteTable& incoming, const wire::RouteTable& held);

}  // namespace spikeline::broker
