// A NIR graph with its nested graphs flattened (internal to nir/): nodes named `sub.node`, edges
// resolved to those names (an edge to `sub` means its one Input or Output), and the Input/Output
// nodes of nested graphs removed (their in- and out-edges joined). Borrows the NirGraph's
// parameter maps. Pure; thread-safe.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "nir/nir_graph.h"

namespace spikeline::nir {

struct FlatNode {
  std::string type;  // NIR type
  const std::map<std::string, NirValue>* params = nullptr;  // borrowed from the NirGraph
};

struct FlatGraph {
  std::map<std::string, FlatNode> nodes;
  std::vector<std::pair<std::string, std::string>> edges;
};

// kInvalidArgument naming the edge or node: an edge to a missing node, an edge to a subgraph
// with several Inputs/Outputs, two nodes flattening to one name. `out` must be empty.
Status flattenGraph(const NirGraph& graph, FlatGraph& out);

}  // namespace spikeline::nir
