#include "topology/graph_checker.h"

#include <algorithm>
#include <map>

#include "topology/field_reader.h"

namespace spikeline::topology {
namespace {

std::string at(const YamlNode* node) {
  return node != nullptr ? " (line " + std::to_string(node->line) + ")" : "";
}

std::string opPath(const OperatorDecl& op) { return indexPath("operators", op.index); }
std::string stagePath(const StageDecl& s) { return indexPath("stages", s.index); }

using NameIndex = std::map<std::string, size_t, std::less<>>;

NameIndex indexOperators(const ModelDecl& model, DiagnosticSink& sink) {
  NameIndex names;
  for (size_t i = 0; i < model.operators.size(); ++i) {
    const OperatorDecl& op = model.operators[i];
    auto [it, inserted] = names.emplace(op.name, i);
    if (!inserted) {
      sink.add(*op.name_node, joinPath(opPath(op), "name"),
               "duplicate operator name '" + op.name + "' (first defined at " +
                   opPath(model.operators[it->second]) + at(model.operators[it->second].node) +
                   ")");
    }
  }
  return names;
}

std::vector<std::vector<size_t>> resolveInputs(const ModelDecl& model, const NameIndex& names,
                                               DiagnosticSink& sink) {
  std::vector<std::string_view> known;
  for (const auto& [name, index] : names) known.push_back(name);
  std::vector<std::vector<size_t>> inputs(model.operators.size());
  for (size_t i = 0; i < model.operators.size(); ++i) {
    const OperatorDecl& op = model.operators[i];
    if (!op.inputs) {
      inputs[i].push_back(i == 0 ? kModelInput : i - 1);
      continue;
    }
    for (size_t k = 0; k < op.inputs->size(); ++k) {
      const std::string& name = (*op.inputs)[k];
      if (name == kModelInputName) {
        inputs[i].push_back(kModelInput);
      } else if (auto it = names.find(name); it != names.end()) {
        inputs[i].push_back(it->second);
      } else {
        std::string hint = suggestName(name, known);
        sink.add(op.inputs_node->items[k], indexPath(joinPath(opPath(op), "inputs"), k),
                 "unknown input '" + name + "'" +
                     (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      }
    }
  }
  return inputs;
}

// Depth-first search for a cycle; reports the first one found.
bool reportCycle(const ModelDecl& model, const std::vector<std::vector<size_t>>& inputs,
                 DiagnosticSink& sink) {
  enum class Mark : uint8_t { kNew, kOnPath, kDone };
  std::vector<Mark> mark(model.operators.size(), Mark::kNew);
  std::vector<size_t> path;
  auto visit = [&](auto& self, size_t v) -> bool {
    mark[v] = Mark::kOnPath;
    path.push_back(v);
    for (size_t u : inputs[v]) {
      if (u == kModelInput || mark[u] == Mark::kDone) continue;
      if (mark[u] == Mark::kOnPath) {
        auto first = std::find(path.begin(), path.end(), u);
        std::string cycle;
        for (auto it = first; it != path.end(); ++it) cycle += model.operators[*it].name + " <- ";
        cycle += model.operators[u].name;
        const OperatorDecl& op = model.operators[v];
        const YamlNode& where = op.inputs_node != nullptr ? *op.inputs_node : *op.node;
        sink.add(where, joinPath(opPath(op), "inputs"), "operator inputs form a cycle: " + cycle);
        return true;
      }
      if (self(self, u)) return true;
    }
    path.pop_back();
    mark[v] = Mark::kDone;
    return false;
  };
  for (size_t v = 0; v < model.operators.size(); ++v) {
    if (mark[v] == Mark::kNew && visit(visit, v)) return true;
  }
  return false;
}

// Per operator: {stage index, position in the stage}; reports unknown/repeated/missing members.
std::vector<std::pair<size_t, size_t>> assignStages(const ModelDecl& model, const NameIndex& names,
                                                    DiagnosticSink& sink) {
  constexpr std::pair<size_t, size_t> kNone{kModelInput, 0};
  std::vector<std::pair<size_t, size_t>> where(model.operators.size(), kNone);
  std::map<std::string, size_t, std::less<>> stage_names;
  for (size_t s = 0; s < model.stages.size(); ++s) {
    const StageDecl& stage = model.stages[s];
    auto [it, inserted] = stage_names.emplace(stage.name, s);
    if (!inserted) {
      sink.add(*stage.name_node, joinPath(stagePath(stage), "name"),
               "duplicate stage name '" + stage.name + "' (first defined at stages[" +
                   std::to_string(it->second) + "])");
    }
    for (size_t p = 0; p < stage.operators.size(); ++p) {
      const std::string field = indexPath(joinPath(stagePath(stage), "operators"), p);
      const YamlNode& item = stage.operators_node->items[p];
      auto op = names.find(stage.operators[p]);
      if (op == names.end()) {
        sink.add(item, field, "unknown operator '" + stage.operators[p] + "'");
      } else if (where[op->second] != kNone) {
        sink.add(item, field,
                 "operator '" + op->first + "' is already in stage '" +
                     model.stages[where[op->second].first].name +
                     "': an operator belongs to exactly one stage");
      } else {
        where[op->second] = {s, p};
      }
    }
  }
  for (size_t i = 0; i < model.operators.size(); ++i) {
    if (where[i] == kNone) {
      sink.add(*model.operators[i].name_node, joinPath(opPath(model.operators[i]), "name"),
               "operator '" + model.operators[i].name + "' is in no stage");
    }
  }
  return where;
}

// The one tensor that enters stage `s`: the last operator of stage s-1 (or the model input).
size_t boundaryOf(const ModelDecl& model, const NameIndex& names, size_t s) {
  if (s == 0) return kModelInput;
  return names.find(model.stages[s - 1].operators.back())->second;
}

// Pass 1 (`boundaries` false) reports reads from later stages or later positions; pass 2 reports
// reads across a boundary of anything but the one tensor it carries.
void checkDataFlow(const ModelDecl& model, const NameIndex& names,
                   const std::vector<std::vector<size_t>>& inputs,
                   const std::vector<std::pair<size_t, size_t>>& where, bool boundaries,
                   DiagnosticSink& sink) {
  for (size_t i = 0; i < model.operators.size(); ++i) {
    const auto [s, p] = where[i];
    const StageDecl& stage = model.stages[s];
    const std::string field = indexPath(joinPath(stagePath(stage), "operators"), p);
    const YamlNode& item = stage.operators_node->items[p];
    const size_t boundary = boundaryOf(model, names, s);
    for (size_t src : inputs[i]) {
      const std::string src_name =
          src == kModelInput ? "the model input" : "'" + model.operators[src].name + "'";
      if (!boundaries && src != kModelInput && where[src].first > s) {
        sink.add(item, field,
                 "stage '" + stage.name + "' runs before stage '" +
                     model.stages[where[src].first].name + "', but its operator '" +
                     model.operators[i].name + "' reads " + src_name + " from it");
      } else if (!boundaries && src != kModelInput && where[src].first == s &&
                 where[src].second > p) {
        sink.add(item, field,
                 "operator '" + model.operators[i].name + "' reads " + src_name +
                     ", which is listed after it in the stage");
      } else if (boundaries && src != boundary && (src == kModelInput || where[src].first < s)) {
        const std::string allowed = boundary == kModelInput ? "the model input"
                                                            : "'" + model.operators[boundary].name +
                                                                  "' (the last operator "
                                                                  "of stage '" +
                                                                  model.stages[s - 1].name + "')";
        sink.add(item, field,
                 "operator '" + model.operators[i].name + "' reads " + src_name +
                     " across a stage boundary; a boundary carries exactly one "
                     "tensor, so stage '" +
                     stage.name + "' may read only " + allowed);
      }
    }
  }
}

void checkOutputsUsed(const ModelDecl& model, const NameIndex& names,
                      const std::vector<std::vector<size_t>>& inputs, DiagnosticSink& sink) {
  std::vector<bool> used(model.operators.size(), false);
  for (const auto& list : inputs) {
    for (size_t src : list) {
      if (src != kModelInput) used[src] = true;
    }
  }
  const size_t output = names.find(model.stages.back().operators.back())->second;
  for (size_t i = 0; i < model.operators.size(); ++i) {
    if (!used[i] && i != output) {
      sink.add(*model.operators[i].name_node, joinPath(opPath(model.operators[i]), "name"),
               "the output of '" + model.operators[i].name +
                   "' is never used (the model's "
                   "output is '" +
                   model.operators[output].name +
                   "', the last operator of the last "
                   "stage)");
    }
  }
}

}  // namespace

std::optional<GraphPlan> checkGraph(const ModelDecl& model, DiagnosticSink& sink) {
  const size_t errors_before = sink.count();
  NameIndex names = indexOperators(model, sink);
  GraphPlan plan;
  plan.inputs = resolveInputs(model, names, sink);
  if (sink.count() != errors_before) return std::nullopt;
  if (reportCycle(model, plan.inputs, sink)) return std::nullopt;
  std::vector<std::pair<size_t, size_t>> where = assignStages(model, names, sink);
  if (sink.count() != errors_before) return std::nullopt;
  checkDataFlow(model, names, plan.inputs, where, /*boundaries=*/false, sink);
  if (sink.count() != errors_before) return std::nullopt;
  checkDataFlow(model, names, plan.inputs, where, /*boundaries=*/true, sink);
  if (sink.count() != errors_before) return std::nullopt;
  checkOutputsUsed(model, names, plan.inputs, sink);
  if (sink.count() != errors_before) return std::nullopt;
  for (const StageDecl& stage : model.stages) {
    for (const std::string& name : stage.operators) plan.order.push_back(names.find(name)->second);
  }
  return plan;
}

void checkPlacements(const ModelDecl& model, DiagnosticSink& sink) {
  if (model.precision != Precision::kFloat32) return;
  for (const StageDecl& stage : model.stages) {
    const Placement& p = stage.placement;
    if (p.backends.empty() || stage.backends_node == nullptr) continue;
    const size_t usable = p.allow_fallback ? p.backends.size() : 1;
    const bool only_chip = std::all_of(p.backends.begin(), p.backends.begin() + ptrdiff_t(usable),
                                       [](BackendKind k) { return k == BackendKind::kChip; });
    if (only_chip) {
      sink.add(*stage.backends_node, joinPath(stagePath(stage), "placement.backends"),
               "stage '" + stage.name +
                   "' can run only on chip, which supports precision "
                   "'fixed' only, but the model is 'float32' (add cpu or cuda" +
                   std::string(p.allow_fallback ? "" : " and set fallback: true") + ")");
    }
  }
}

}  // namespace spikeline::topology
