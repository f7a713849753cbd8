#include <limits>

#include "core/operator_catalog.h"
#include "topology/field_reader.h"
#include "topology/model_decl.h"
#include "topology/schema_fields.h"

namespace spikeline::topology {
namespace {

// A list of numbers: all integers -> int list; any real -> real list.
std::optional<ParamValue> readNumberList(const YamlNode& node, const std::string& path,
                                         DiagnosticSink& sink) {
  std::vector<int64_t> ints;
  std::vector<double> reals;
  bool all_int = true;
  for (size_t i = 0; i < node.items.size(); ++i) {
    const YamlNode& item = node.items[i];
    std::optional<double> real = item.asDouble();
    if (!real) {
      sink.add(item, indexPath(path, i),
               "list parameters hold numbers only, got " + std::string(item.typeName()));
      return std::nullopt;
    }
    std::optional<int64_t> integer = item.asInt();
    if (integer)
      ints.push_back(*integer);
    else
      all_int = false;
    reals.push_back(*real);
  }
  if (all_int) return ParamValue(std::move(ints));
  return ParamValue(std::move(reals));
}

std::optional<ParamValue> readParamValue(const YamlNode& node, const std::string& path,
                                         DiagnosticSink& sink) {
  if (node.isSequence()) return readNumberList(node, path, sink);
  if (!node.isScalar()) {
    sink.add(node, path,
             "must be a number, boolean, string or list of numbers, got " +
                 std::string(node.typeName()));
    return std::nullopt;
  }
  if (auto i = node.asInt()) return ParamValue(*i);
  if (auto d = node.asDouble()) return ParamValue(*d);
  if (auto b = node.asBool()) return ParamValue(*b);
  return ParamValue(node.scalar);
}

void parseParams(const YamlNode& node, const std::string& path, OperatorDecl& op,
                 DiagnosticSink& sink) {
  op.params_node = &node;
  if (node.isNull()) return;
  if (!node.isMap()) {
    sink.add(node, path,
             "must be a mapping of parameter name -> value, got " + std::string(node.typeName()));
    return;
  }
  if (!checkNoDuplicateKeys(node, path, sink)) return;
  for (const YamlEntry& e : node.entries) {
    std::optional<ParamValue> v = readParamValue(e.value, joinPath(path, e.key.scalar), sink);
    if (v) op.params.set(e.key.scalar, std::move(*v));
  }
}

void parseWeightRef(const YamlEntry& e, const std::string& path, const ModelDecl& model,
                    OperatorDecl& op, DiagnosticSink& sink) {
  WeightRefDecl ref{{}, {}, &e.value, &e.value, &e.value};
  if (e.value.isScalar()) {  // short form: a tensor name in the model's only weight file
    if (model.weight_files.size() != 1) {
      sink.add(e.value, path,
               "the short form (a tensor name) needs exactly one entry in weight_files; write "
               "{file: <id>, tensor: <name>}");
      return;
    }
    ref.file_id = model.weight_files[0].id;
    ref.tensor = e.value.scalar;
  } else {
    if (!checkObject(e.value, schemaObject("weight_ref"), path, sink)) return;
    ref.file_node = e.value.find("file");
    ref.tensor_node = e.value.find("tensor");
    if (ref.file_node == nullptr || ref.tensor_node == nullptr) return;
    auto file = readString(*ref.file_node, joinPath(path, "file"), sink);
    auto tensor = readString(*ref.tensor_node, joinPath(path, "tensor"), sink);
    if (!file || !tensor) return;
    ref.file_id = *file;
    ref.tensor = *tensor;
  }
  op.weights.emplace(e.key.scalar, std::move(ref));
}

void parseWeights(const YamlNode& node, const std::string& path, const ModelDecl& model,
                  OperatorDecl& op, DiagnosticSink& sink) {
  op.weights_node = &node;
  if (node.isNull()) return;
  if (!node.isMap()) {
    sink.add(node, path,
             "must be a mapping of role -> tensor, got " + std::string(node.typeName()));
    return;
  }
  if (!checkNoDuplicateKeys(node, path, sink)) return;
  for (const YamlEntry& e : node.entries) {
    parseWeightRef(e, joinPath(path, e.key.scalar), model, op, sink);
  }
}

void parseKind(const YamlNode& node, const std::string& path, OperatorDecl& op,
               DiagnosticSink& sink) {
  op.kind_node = &node;
  auto kind = readString(node, path, sink);
  if (!kind) return;
  if (!isKnownOperatorKind(*kind)) {
    std::vector<std::string_view> kinds(operatorKinds().begin(), operatorKinds().end());
    std::string message = "unknown operator kind '" + *kind + "'";
    std::string hint = suggestName(*kind, kinds);
    if (!hint.empty()) message += " (did you mean '" + hint + "'?)";
    sink.add(node, path, std::move(message));
    return;
  }
  op.kind = *kind;
}

void parseOperator(const YamlNode& node, size_t index, ModelDecl& model, DiagnosticSink& sink) {
  const std::string path = indexPath("operators", index);
  OperatorDecl op;
  op.index = index;
  op.node = &node;
  if (!checkObject(node, schemaObject("operator"), path, sink)) return;
  if ((op.name_node = node.find("name")) != nullptr) {
    if (auto name = readName(*op.name_node, joinPath(path, "name"), sink)) {
      if (*name == kModelInputName) {
        sink.add(*op.name_node, joinPath(path, "name"),
                 "'input' is reserved: it names the model's input");
      }
      op.name = *name;
    }
  }
  if (const YamlNode* kind = node.find("kind")) parseKind(*kind, joinPath(path, "kind"), op, sink);
  if (const YamlNode* p = node.find("params")) parseParams(*p, joinPath(path, "params"), op, sink);
  if (const YamlNode* w = node.find("weights")) {
    parseWeights(*w, joinPath(path, "weights"), model, op, sink);
  }
  if ((op.inputs_node = node.find("inputs")) != nullptr) {
    op.inputs = readNameList(*op.inputs_node, joinPath(path, "inputs"), sink);
    if (op.inputs && op.inputs->empty()) {
      sink.add(*op.inputs_node, joinPath(path, "inputs"),
               "must name at least one input (leave it out to use the previous operator)");
    }
  }
  model.operators.push_back(std::move(op));
}

std::optional<Placement> parsePlacement(const YamlNode& node, const std::string& path,
                                        StageDecl& stage, DiagnosticSink& sink) {
  if (!checkObject(node, schemaObject("placement"), path, sink)) return std::nullopt;
  Placement p;
  if ((stage.backends_node = node.find("backends")) != nullptr) {
    const std::string bpath = joinPath(path, "backends");
    if (auto names = readNameList(*stage.backends_node, bpath, sink)) {
      if (names->empty()) sink.add(*stage.backends_node, bpath, "must list at least one backend");
      for (size_t i = 0; i < names->size(); ++i) {
        Result<BackendKind> kind = parseBackendKind((*names)[i]);
        if (!kind.isOk()) {
          sink.add(stage.backends_node->items[i], indexPath(bpath, i),
                   "unknown backend '" + (*names)[i] + "' (expected cpu, cuda or chip)");
        } else if (std::find(p.backends.begin(), p.backends.end(), *kind) != p.backends.end()) {
          sink.add(stage.backends_node->items[i], indexPath(bpath, i),
                   "backend '" + (*names)[i] + "' is listed twice");
        } else {
          p.backends.push_back(*kind);
        }
      }
    }
  }
  constexpr int64_t kMaxReplicas = 1024;
  if (const YamlNode* r = node.find("replicas")) {
    if (auto v = readIntInRange(*r, joinPath(path, "replicas"), 1, kMaxReplicas, sink)) {
      p.replicas = uint32_t(*v);
    }
  }
  if (const YamlNode* s = node.find("standby")) {
    if (auto v = readIntInRange(*s, joinPath(path, "standby"), 0, kMaxReplicas, sink)) {
      p.standby = uint32_t(*v);
    }
  }
  if (const YamlNode* f = node.find("fallback")) {
    if (auto v = readBool(*f, joinPath(path, "fallback"), sink)) p.allow_fallback = *v;
  }
  return p;
}

void parseStage(const YamlNode& node, size_t index, ModelDecl& model, DiagnosticSink& sink) {
  const std::string path = indexPath("stages", index);
  StageDecl stage;
  stage.index = index;
  stage.node = &node;
  if (!checkObject(node, schemaObject("stage"), path, sink)) return;
  if ((stage.name_node = node.find("name")) != nullptr) {
    if (auto name = readName(*stage.name_node, joinPath(path, "name"), sink)) stage.name = *name;
  }
  if ((stage.operators_node = node.find("operators")) != nullptr) {
    const std::string opath = joinPath(path, "operators");
    if (auto ops = readNameList(*stage.operators_node, opath, sink)) {
      if (ops->empty()) sink.add(*stage.operators_node, opath, "must list at least one operator");
      stage.operators = std::move(*ops);
    }
  }
  if ((stage.placement_node = node.find("placement")) != nullptr) {
    auto p = parsePlacement(*stage.placement_node, joinPath(path, "placement"), stage, sink);
    if (p) stage.placement = std::move(*p);
  }
  model.stages.push_back(std::move(stage));
}

}  // namespace

void parseOperators(const YamlNode& list, ModelDecl& model, DiagnosticSink& sink) {
  if (!list.isSequence() || list.items.empty()) {
    sink.add(list, "operators",
             list.isSequence()
                 ? "must list at least one operator"
                 : "must be a list of operators, got " + std::string(list.typeName()));
    return;
  }
  for (size_t i = 0; i < list.items.size(); ++i) parseOperator(list.items[i], i, model, sink);
}

void parseStages(const YamlNode& list, ModelDecl& model, DiagnosticSink& sink) {
  if (!list.isSequence() || list.items.empty()) {
    sink.add(list, "stages",
             list.isSequence() ? "must list at least one stage"
                               : "must be a list of stages, got " + std::string(list.typeName()));
    return;
  }
  for (size_t i = 0; i < list.items.size(); ++i) parseStage(list.items[i], i, model, sink);
}

}  // namespace spikeline::topology
