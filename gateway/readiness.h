// Readiness: whether a model can serve, decided from the broker's route table alone. The broker
// publishes a table without a worker within a heartbeat of its device failing (hardware-fault
// report or missed heartbeats), so "every stage has a routed replica" is "every stage has a
// replica whose device answers" (issue 12). Pure functions over values; thread-safe.
#pragma once

#include <vector>

#include "core/topology.h"
#include "gateway/inference_types.h"
#include "wire/control.h"

namespace spikeline::gateway {

// Ready when `table` routes `topology.model` and each of its stages has >= 1 replica. Otherwise
// the reason names the model and the first stage without one ("no route" before the first table).
Readiness modelReadiness(const Topology& topology, const wire::RouteTable& table);

// Ready when every model is ready; the reason is the first model's that is not.
Readiness serverReadiness(const std::vector<Topology>& models, const wire::RouteTable& table);

}  // namespace spikeline::gateway
