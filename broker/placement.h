// computePlacement: which workers host which operator pool, as a pure function of the deployed
// models, the registered workers, their health and the previous placement (kept where still
// valid: a healthy serving worker is never moved; a standby moves only to serve a pool that has
// no free worker otherwise). Pure. Thread safety: safe from any thread.
#pragma once

#include <vector>

#include "broker/state.h"
#include "core/status.h"

namespace spikeline::broker {

struct PlacementOutcome {
  PlacementMap placement;
  std::vector<BrokerEvent>
      events;                  // assigned / promoted / standby / unassigned / degraded / unplaced
  std::vector<Status> errors;  // one per pool that has no serving worker (kResourceExhausted)
};

// Rules, per pool (stages with equal pool ids across models; the first model's placement in
// ModelRef order wins, replicas and standby are the maximum asked by any of them):
// - a worker hosts at most one pool; it must be up, have capacity > 0, a backend the placement
//   allows (the first listed only, unless allow_fallback) and the model's precision;
// - serving before standby, over all pools: previous serving members that still qualify stay;
//   a pool short of serving replicas promotes its own standby (preferred backend first), then
//   takes free workers on the preferred backend, then on fallbacks — another pool's previous
//   standby counts as free here, so no standby keeps a worker another pool needs to serve at
//   all (that worker re-hosts: workers/broker_mode.h); then previous standby members stay where
//   still free and free workers fill the standby (preferred, then fallback); within a pass:
//   backend order, then nodes with fewest members of the pool (spread), then larger capacity,
//   then name;
// - serving = the first `replicas` members by (backend order, previously serving, name), so a
//   standby of the same backend is promoted before any fallback backend is used.
PlacementOutcome computePlacement(const std::vector<DeployedModel>& models,
                                  const std::vector<WorkerInfo>& workers,
                                  const HealthSnapshot& health, const PlacementMap& previous);

}  // namespace spikeline::broker
