// Writes an ImportedModel as spikeline's own files: topology YAML (schema v1, topology/SCHEMA.md)
// and one safetensors file holding every weight (F32, named "<operator>.<role>"), and writes them
// to a directory so that nothing is left behind on error. Pure encoding plus one file-system
// function. Thread safety: pure / the caller owns the directory.
#pragma once

#include <filesystem>
#include <string>

#include "core/result.h"
#include "nir/importer.h"

namespace spikeline::nir {

struct ModelFiles {
  std::string yaml;
  std::string safetensors;
};

// `header` is written as YAML comments at the top (e.g. the command that imported the model).
Result<ModelFiles> encodeModel(const ImportedModel& model, const std::string& header);

// Writes `<dir>/<stem>.yaml` and `<dir>/<model.weights_file>` (creating `dir`), each through a
// temporary file renamed into place. Returns the YAML's path.
Result<std::filesystem::path> writeModelFiles(const ModelFiles& files,
                                              const std::filesystem::path& dir,
                                              const std::string& stem,
                                              const std::string& weights_file);

}  // namespace spikeline::nir
