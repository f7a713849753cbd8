// Cross-field checks of a model's operator graph and stages: unique names, known inputs, no
// cycles, every operator in exactly one stage, stages in data-flow order with exactly one tensor
// crossing each boundary, no unused outputs, placements that can run the model's precision.
// Internal to topology/. Pure functions over a ModelDecl. Thread safety: as the sink.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "topology/diagnostic_sink.h"
#include "topology/model_decl.h"

namespace spikeline::topology {

// The graph as checked: what each operator reads and the order operators run in.
struct GraphPlan {
  // Per operator (index into ModelDecl::operators): its inputs as operator indices; kModelInput
  // stands for the model's input.
  std::vector<std::vector<size_t>> inputs;
  // Operator indices in pipeline order (stage by stage, in each stage's order): a topological
  // order of the graph.
  std::vector<size_t> order;
};

inline constexpr size_t kModelInput = static_cast<size_t>(-1);

// Reports every graph/stage mistake to `sink`; nullopt when any was found.
// REQUIRES: every operator and stage in `model` parsed without error (names are set).
std::optional<GraphPlan> checkGraph(const ModelDecl& model, DiagnosticSink& sink);

// Reports placements that cannot run the model (e.g. a float32 stage that can only use chip).
void checkPlacements(const ModelDecl& model, DiagnosticSink& sink);

}  // namespace spikeline::topology
