#include "nir/flat_graph.h"

namespace spikeline::nir {
namespace {

// ---------------------------------------------------------------------------------------------
// Flattening nested graphs

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

std::string inGraph(const std::string& prefix) {
  return prefix.empty() ? "" : " (in graph '" + prefix + "')";
}

// The one node of `type` (Input or Output) of a nested graph.
Result<std::string> boundaryNode(const NirGraph& g, const std::string& full, const char* type) {
  std::vector<std::string> found;
  for (const auto& [name, node] : g.nodes) {
    if (node.type == type) found.push_back(name);
  }
  if (found.size() != 1) {
    return invalidArgument("node '" + full + "' (NIRGraph): an edge addresses the subgraph as a " +
                           "whole, but it has " + std::to_string(found.size()) + " " + type +
                           " nodes; address one as '" + full + ".<name>'");
  }
  return join(full, found[0]);
}

// Resolves an edge endpoint of graph `g` (whose nodes are named `prefix.<name>`) to a flat name.
Result<std::string> resolve(const NirGraph& g, const std::string& prefix,
                            const std::string& endpoint, bool as_target) {
  auto it = g.nodes.find(endpoint);
  if (it != g.nodes.end()) {
    const std::string full = join(prefix, endpoint);
    if (!it->second.subgraph) return full;
    return boundaryNode(*it->second.subgraph, full, as_target ? "Input" : "Output");
  }
  for (size_t dot = endpoint.find('.'); dot != std::string::npos;
       dot = endpoint.find('.', dot + 1)) {
    auto sub = g.nodes.find(endpoint.substr(0, dot));
    if (sub != g.nodes.end() && sub->second.subgraph) {
      return resolve(*sub->second.subgraph, join(prefix, sub->first), endpoint.substr(dot + 1),
                     as_target);
    }
  }
  return notFound(endpoint);
}

Status flatten(const NirGraph& g, const std::string& prefix, FlatGraph& out) {
  for (const auto& [name, node] : g.nodes) {
    const std::string full = join(prefix, name);
    if (node.subgraph) {
      SPIKELINE_RETURN_IF_ERROR(flatten(*node.subgraph, full, out));
      continue;
    }
    FlatNode flat{node.type, &node.params};
    if (!prefix.empty() && (node.type == "Input" || node.type == "Output")) flat.type = "Identity";
    if (!out.nodes.emplace(full, flat).second) {
      return invalidArgument("node '" + full + "': two nodes flatten to this name");
    }
  }
  for (const auto& [a, b] : g.edges) {
    Result<std::string> src = resolve(g, prefix, a, false);
    Result<std::string> dst = resolve(g, prefix, b, true);
    for (const auto* r : {&src, &dst}) {
      if (!r->isOk()) {
        if (r->status().code() != StatusCode::kNotFound) return r->status();
        return invalidArgument("edge " + a + " -> " + b + inGraph(prefix) + ": no node '" +
                               r->status().message() + "'");
      }
    }
    out.edges.emplace_back(*src, *dst);
  }
  return Status::ok();
}

// Replaces every Identity node u -> I -> w by u -> w.
void contractIdentities(FlatGraph& g) {
  for (auto it = g.nodes.begin(); it != g.nodes.end();) {
    if (it->second.type != "Identity") {
      ++it;
      continue;
    }
    const std::string id = it->first;
    std::vector<std::string> ins, outs;
    std::vector<std::pair<std::string, std::string>> kept;
    for (const auto& e : g.edges) {
      if (e.second == id && e.first != id) {
        ins.push_back(e.first);
      } else if (e.first == id && e.second != id) {
        outs.push_back(e.second);
      } else if (e.first != id && e.second != id) {
        kept.push_back(e);
      }
    }
    for (const auto& u : ins) {
      for (const auto& w : outs) kept.emplace_back(u, w);
    }
    g.edges = std::move(kept);
    it = g.nodes.erase(it);
  }
}

}  // namespace

Status flattenGraph(const NirGraph& graph, FlatGraph& out) {
  SPIKELINE_RETURN_IF_ERROR(flatten(graph, "", out));
  contractIdentities(out);
  return Status::ok();
}

}  // namespace spikeline::nir
