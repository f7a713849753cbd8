#include "broker/routes.h"

#include <algorithm>

namespace spikeline::broker {

wire::RouteTable computeRoutes(const std::vector<DeployedModel>& models,
                               const PlacementMap& placement,
                               const std::vector<WorkerInfo>& workers, const HealthSnapshot& health,
                               const wire::RouteTable& previous) {
  std::vector<const DeployedModel*> ordered;
  for (const auto& m : models) ordered.push_back(&m);
  std::sort(ordered.begin(), ordered.end(),
            [](const DeployedModel* a, const DeployedModel* b) { return a->model < b->model; });
  wire::RouteTable table;
  for (const DeployedModel* m : ordered) {
    wire::ModelRoute route{m->model, {}};
    for (const auto& stage : m->stages) {
      wire::StageRoute sr{stage.name, stage.pool, {}};
      auto it = placement.pools.find(stage.pool);
      if (it != placement.pools.end()) {
        for (const auto& id : it->second.serving) {
          if (!health.isUp(id)) continue;
          auto w = std::find_if(workers.begin(), workers.end(),
                                [&](const WorkerInfo& x) { return x.id == id; });
          if (w != workers.end()) sr.replicas.push_back({id, w->endpoint, w->curve_key});
        }
      }
      route.stages.push_back(std::move(sr));
    }
    table.models.push_back(std::move(route));
  }
  table.epoch = table.models == previous.models ? previous.epoch : previous.epoch + 1;
  return table;
}

bool isNewer(const wire::RouteTable& incoming, const wire::RouteTable& held) {
  return incoming.epoch > held.epoch;
}

}  // namespace spikeline::broker
