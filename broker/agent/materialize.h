// materializeAssignment: writes each assigned stage's model (YAML + weight files) under a
// directory so the worker can load it with topology::loadTopologyFile, with no shared filesystem.
// Writes files only. Thread safety: safe for distinct directories.
#pragma once

#include <filesystem>
#include <vector>

#include "broker/agent/protocol.h"
#include "core/result.h"

namespace spikeline::broker {

struct MaterializedStage {
  ModelRef model;
  std::string stage;
  std::filesystem::path yaml_path;  // <dir>/<name@version>/<file name of the YAML>
  friend bool operator==(const MaterializedStage&, const MaterializedStage&) = default;
};

// One entry per assigned stage, in order. kInvalidArgument for a file name that is absolute or
// contains ".." (never written); kUnavailable when a file cannot be written.
Result<std::vector<MaterializedStage>> materializeAssignment(const Assignment& assignment,
                                                             const std::filesystem::path& dir);

}  // namespace spikeline::broker
