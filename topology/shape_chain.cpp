#include "topology/shape_chain.h"

#include "core/operator_catalog.h"
#include "topology/field_reader.h"
#include "topology/operator_identity.h"

namespace spikeline::topology {
namespace {

struct Output {
  Shape shape;
  ValueKind kind = ValueKind::kSpikes;
};

// The YAML node a catalog field path ("params.stride", "weights.weight", "inputs") points at.
const YamlNode& nodeForCatalogPath(const OperatorDecl& op, std::string_view path) {
  const std::string_view head = path.substr(0, path.find_first_of(".["));
  std::string_view rest = path.size() > head.size() + 1 ? path.substr(head.size() + 1) : "";
  rest = rest.substr(0, rest.find_first_of(".["));
  const YamlNode* section = nullptr;
  if (head == "params")
    section = op.params_node;
  else if (head == "weights")
    section = op.weights_node;
  else if (head == "inputs")
    section = op.inputs_node;
  if (section == nullptr) return head == "kind" && op.kind_node ? *op.kind_node : *op.node;
  if (const YamlNode* field = rest.empty() ? nullptr : section->find(rest)) return *field;
  return *section;
}

void reportCatalogError(const OperatorDecl& op, const Status& status, DiagnosticSink& sink) {
  const std::string& message = status.message();
  const std::string base = indexPath("operators", op.index);
  const size_t colon = message.find(": ");
  const std::string_view head = std::string_view(message).substr(0, colon);
  const bool has_path =
      colon != std::string::npos && (head.starts_with("params") || head.starts_with("weights") ||
                                     head.starts_with("inputs") || head.starts_with("kind"));
  if (!has_path) {
    sink.add(op.kind_node ? *op.kind_node : *op.node, base,
             "'" + op.name + "' (" + op.kind + "): " + message);
    return;
  }
  sink.add(nodeForCatalogPath(op, head), joinPath(base, head), message.substr(colon + 2));
}

}  // namespace

std::optional<std::vector<OperatorSpec>> buildOperatorSpecs(const ModelDecl& model,
                                                            const GraphPlan& plan,
                                                            std::vector<WeightMap> weights,
                                                            DiagnosticSink& sink) {
  const size_t errors_before = sink.count();
  const std::optional<Output> model_input =
      Output{model.input_shape, model.input_encoding == InputEncoding::kSpikes ? ValueKind::kSpikes
                                                                               : ValueKind::kDense};
  std::vector<std::optional<Output>> outputs(model.operators.size());
  std::vector<OperatorSpec> specs;
  for (size_t i : plan.order) {
    const OperatorDecl& op = model.operators[i];
    OperatorSpec spec{op.name,
                      op.kind,
                      model.precision,
                      model.frac_bits,
                      op.params,
                      std::move(weights[i]),
                      {},
                      {},
                      {},
                      {}};
    std::vector<Shape> shapes;
    std::vector<ValueKind> kinds;
    bool upstream_ok = true;
    for (size_t src : plan.inputs[i]) {
      const std::optional<Output>& in = src == kModelInput ? model_input : outputs[src];
      if (!in) upstream_ok = false;
      if (!in) break;
      shapes.push_back(in->shape);
      kinds.push_back(in->kind);
      spec.inputs.push_back(src == kModelInput ? std::string(kModelInputName)
                                               : model.operators[src].name);
    }
    if (!upstream_ok) continue;
    // The model input alone is written as no inputs (OperatorSpec's convention).
    if (plan.inputs[i].size() == 1 && plan.inputs[i][0] == kModelInput) spec.inputs.clear();
    Result<OperatorSignature> sig = inferOperator(spec, shapes, kinds);
    if (!sig.isOk()) {
      reportCatalogError(op, sig.status(), sink);
      continue;
    }
    spec.input_shape = shapes.front();
    spec.output_shape = sig->output_shape;
    spec.id = computeOperatorId(spec);
    outputs[i] = Output{sig->output_shape, sig->output_kind};
    specs.push_back(std::move(spec));
  }
  if (sink.count() != errors_before) return std::nullopt;
  return specs;
}

}  // namespace spikeline::topology
