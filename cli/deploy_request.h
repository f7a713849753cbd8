// makeDeployRequest: a model file checked locally (every problem as file:line:col) and packed as
// the broker's `deploy` admin request: the YAML text plus the bytes of each weight file it
// references. Reads files; pure otherwise. Thread safety: safe to call concurrently.
#pragma once

#include <filesystem>
#include <string>

#include "broker/agent/protocol.h"
#include "core/result.h"

namespace spikeline::cli {

struct DeployRequest {
  ModelRef model;
  std::string request_json;   // {"op":"deploy","file_name",...,"yaml",...,"files":[...]}
  broker::Parts attachments;  // weight file bytes, in the order of "files"
};

// kInvalidArgument listing every diagnostic when the file is not a valid model; kNotFound when
// it cannot be read.
Result<DeployRequest> makeDeployRequest(const std::filesystem::path& file);

}  // namespace spikeline::cli
