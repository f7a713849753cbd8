// JSON text for the broker's values (broker/state.h), as stored in Redis and sent to the CLI.
// Parsing validates everything and never throws (input comes from Redis or a socket).
// Pure functions. Thread safety: safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "broker/state.h"
#include "core/result.h"

namespace spikeline::broker {

std::string toJson(const DeployedModel& model);
Result<DeployedModel> deployedModelFromJson(std::string_view text);

std::string toJson(const WorkerInfo& worker);
Result<WorkerInfo> workerInfoFromJson(std::string_view text);

std::string toJson(const PlacementMap& placement);
Result<PlacementMap> placementFromJson(std::string_view text);

std::string toJson(const HealthSnapshot& health);
Result<HealthSnapshot> healthFromJson(std::string_view text);

}  // namespace spikeline::broker
