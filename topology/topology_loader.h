// Loading a model file (topology schema v1, see topology/SCHEMA.md) into a core::Topology:
// YAML parsed, every field checked, weights read and verified, shapes chained through the
// operator catalog, operator ids computed. Never throws; every problem is a Diagnostic with
// file:line:column and the field at fault. Reads files; no shared state.
// Thread safety: safe to call concurrently.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/topology.h"
#include "topology/diagnostic.h"

namespace spikeline::topology {

// The outcome of checking one model file: a topology exactly when there are no diagnostics.
struct TopologyCheck {
  std::optional<Topology> topology;
  std::vector<Diagnostic> diagnostics;
  bool isOk() const { return topology.has_value(); }
};

// Checks the file at `path` and reports ALL problems found. Diagnostics name the file as
// `path` is written. Checks run in phases (fields; graph, stages and weights; shapes); a phase
// runs only when the previous one found nothing, so one mistake does not cascade.
TopologyCheck checkTopologyFile(const std::filesystem::path& path);

// As checkTopologyFile, for YAML text already in memory: `file_name` is used in diagnostics and
// weight file paths are relative to `base_dir`.
TopologyCheck checkTopologyText(const std::string& text, const std::string& file_name,
                                const std::filesystem::path& base_dir);

// The topology, or kInvalidArgument whose message lists every diagnostic (one per line);
// kNotFound when the file cannot be read.
Result<Topology> loadTopologyFile(const std::filesystem::path& path);

}  // namespace spikeline::topology
