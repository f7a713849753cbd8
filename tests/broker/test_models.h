// Builders of broker values for tests: models, stages, workers. Header-only; tests only.
#pragma once

#include <string>
#include <vector>

#include "broker/state.h"

namespace spikeline::broker::testing {

inline DeployedStage stage(std::string name, uint64_t pool, std::vector<BackendKind> backends,
                           uint32_t replicas = 1, uint32_t standby = 0, bool fallback = true) {
  return DeployedStage{std::move(name),
                       OperatorId{pool},
                       {"op"},
                       Placement{std::move(backends), replicas, standby, fallback}};
}

inline DeployedModel model(std::string name, std::vector<DeployedStage> stages,
                           Precision precision = Precision::kFixed) {
  return DeployedModel{ModelRef{std::move(name), 1}, precision, std::move(stages)};
}

inline WorkerInfo worker(std::string name, BackendKind backend, std::string node = "n1",
                         uint32_t capacity = 8) {
  return WorkerInfo{WorkerId{name},  backend, capacity, "tcp://" + name + ":7000",
                    std::move(node), {}};
}

}  // namespace spikeline::broker::testing
