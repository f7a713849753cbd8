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

}  // namespace spikeline::workers
