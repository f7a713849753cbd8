// The NIR graph as the file stores it (Neuromorphic Intermediate Representation, an HDF5 file):
// nodes with their type and raw parameters, edges between node names, nested graphs. Plain value
// types produced by the reader (nir_reader.h) and consumed by the importer (importer.h); nothing
// here knows HDF5. Thread safety: values; immutable use is safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace spikeline::nir {

// One parameter dataset: numbers (any integer or float dataset, converted to double), or strings.
struct NirValue {
  std::vector<uint64_t> shape;     // dataset dims; empty for a scalar
  std::vector<double> numbers;     // row-major, when the dataset is numeric
  std::vector<std::string> texts;  // row-major, when the dataset holds strings
  bool isText() const { return !texts.empty(); }
  uint64_t numel() const;
};

struct NirGraph;

struct NirNode {
  std::string type;                          // e.g. "LIF", "Conv2d", "NIRGraph"
  std::map<std::string, NirValue> params;    // dataset name -> value (e.g. "tau", "weight")
  std::shared_ptr<const NirGraph> subgraph;  // set when type == "NIRGraph"
};

struct NirGraph {
  std::map<std::string, NirNode> nodes;                    // by name (names may contain dots)
  std::vector<std::pair<std::string, std::string>> edges;  // (source, target), in file order
};

struct NirFile {
  std::string version;  // the /version dataset, e.g. "0.2.0", "1.0.7-HEAD-7232ada"
  NirGraph graph;       // the top-level /node graph
};

}  // namespace spikeline::nir
