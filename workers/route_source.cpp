#include "workers/route_source.h"

namespace spikeline::workers {
namespace {

class StaticRouteSource final : public RouteSource {
 public:
  explicit StaticRouteSource(PipelineRoute route) : route_(std::move(route)) {}
  PipelineRoute current() const override { return route_; }

 private:
  const PipelineRoute route_;
};

}  // namespace

const StageEndpoints* PipelineRoute::findStage(const std::string& name) const {
  for (const StageEndpoints& s : stages) {
    if (s.stage == name) return &s;
  }
  return nullptr;
}

std::unique_ptr<RouteSource> makeStaticRouteSource(const StaticRoutes& routes, ModelRef model,
                                                   const std::vector<std::string>& stage_order) {
  PipelineRoute route{std::move(model), 1, {}};
  for (const std::string& name : stage_order) {
    const StageEndpoints* s = routes.findStage(name);
    route.stages.push_back(s != nullptr ? *s : StageEndpoints{name, {}});
  }
  return std::make_unique<StaticRouteSource>(std::move(route));
}

PipelineRoute fromRouteTable(const wire::RouteTable& table, const ModelRef& model) {
  PipelineRoute route{model, table.epoch, {}};
  for (const wire::ModelRoute& m : table.models) {
    if (m.model != model) continue;
    for (const wire::StageRoute& s : m.stages) {
      StageEndpoints ep{s.name, {}};
      for (const wire::Replica& r : s.replicas) ep.endpoints.push_back({r.endpoint, r.curve_key});
      route.stages.push_back(std::move(ep));
    }
    break;
  }
  return route;
}

Result<std::string> defaultRoutesEndpoint(const std::string& broker) {
  const size_t colon = broker.rfind(':');
  if (colon == std::string::npos || colon + 1 >= broker.size()) {
    return invalidArgument("broker endpoint '" + broker + "' has no port; pass --broker-routes");
  }
  const std::string port = broker.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5) {
    return invalidArgument("broker endpoint '" + broker + "' has no numeric port");
  }
  return broker.substr(0, colon + 1) + std::to_string(std::stoi(port) + 1);
}

}  // namespace spikeline::workers
