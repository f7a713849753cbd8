// Loads a model's weight files (checking each one's sha256 and safetensors structure) and binds
// every operator's weight roles to float32 tensors. Internal to topology/.
// Reads files; no shared state. Thread safety: as the sink.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/operator_spec.h"
#include "topology/diagnostic_sink.h"
#include "topology/model_decl.h"

namespace spikeline::topology {

using WeightMap = std::map<std::string, WeightTensor, std::less<>>;

// Per operator (index into ModelDecl::operators): role -> tensor. Weight file paths are relative
// to `model_dir`. Reports every unreadable file, checksum mismatch, unknown file id and missing
// tensor; nullopt when any was found.
std::optional<std::vector<WeightMap>> bindWeights(const ModelDecl& model,
                                                  const std::filesystem::path& model_dir,
                                                  DiagnosticSink& sink);

}  // namespace spikeline::topology
