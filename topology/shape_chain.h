// Builds a model's OperatorSpecs in pipeline order, chaining per-timestep shapes from the model
// input through every operator with the operator catalog (inferOperator), and reporting each
// catalog error at the YAML field it names. Internal to topology/. Pure over its inputs.
// Thread safety: as the sink.
#pragma once

#include <optional>
#include <vector>

#include "core/operator_spec.h"
#include "topology/diagnostic_sink.h"
#include "topology/graph_checker.h"
#include "topology/model_decl.h"
#include "topology/weights_binder.h"

namespace spikeline::topology {

// Specs in plan.order, with precision, frac_bits, params, weights, inputs, shapes and id set.
// nullopt when any operator was rejected (each rejection reported once; operators downstream of
// a rejected one are not checked).
std::optional<std::vector<OperatorSpec>> buildOperatorSpecs(const ModelDecl& model,
                                                            const GraphPlan& plan,
                                                            std::vector<WeightMap> weights,
                                                            DiagnosticSink& sink);

}  // namespace spikeline::topology
