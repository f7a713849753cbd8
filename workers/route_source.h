// RouteSource: where a worker or client learns, per stage of its model, the replica endpoints
// (decision 0003 §5). The static route file is one source; the broker's route table (decision
// 0004) is the other, turned into a PipelineRoute by fromRouteTable(). Implementations are owned
// by main() and borrowed by the worker/client. Thread safety: current() must be safe to call
// from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/ids.h"
#include "core/result.h"
#include "wire/control.h"
#include "workers/route_file.h"

namespace spikeline::workers {

// Every stage of one model with its replica endpoints, as of `epoch` (higher wins).
struct PipelineRoute {
  ModelRef model;
  uint64_t epoch = 0;
  std::vector<StageEndpoints> stages;  // pipeline order
  // nullptr when absent.
  const StageEndpoints* findStage(const std::string& name) const;
};

class RouteSource {
 public:
  virtual ~RouteSource() = default;
  // The latest routes known. The data plane reads it at start; a source whose epoch grows lets
  // a caller re-read (the broker agent's job).
  virtual PipelineRoute current() const = 0;
};

// A source that never changes (epoch 1): `routes` ordered by `stage_order` (the topology's
// pipeline order); stages missing from `routes` get no endpoints.
std::unique_ptr<RouteSource> makeStaticRouteSource(const StaticRoutes& routes, ModelRef model,
                                                   const std::vector<std::string>& stage_order);

// `model`'s route in the broker's table (epoch = the table's), stages in pipeline order with
// their replicas' endpoints; no stages when the table does not name the model. Pure.
PipelineRoute fromRouteTable(const wire::RouteTable& table, const ModelRef& model);

// The broker's route PUB when not given: same host, the broker's port + 1 (the broker's
// default). kInvalidArgument when the broker endpoint has no numeric port.
Result<std::string> defaultRoutesEndpoint(const std::string& broker);

}  // namespace spikeline::workers
