// ModelDecl: a model file after the per-field checks of schema v1 and before the cross-field
// ones (graph, stages, weights, shapes): plain values plus the YamlNodes they came from, so later
// checks can point at the line at fault. Internal to topology/. Borrows the YamlNode tree, which
// must outlive it. Thread safety: immutable use is safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/operator_spec.h"
#include "core/topology.h"
#include "topology/diagnostic_sink.h"
#include "topology/yaml_tree.h"

namespace spikeline::topology {

// The reserved input name that means "the model's input".
inline constexpr std::string_view kModelInputName = "input";

struct WeightFileDecl {
  std::string id;      // the key under weight_files
  std::string path;    // relative to the model file
  std::string sha256;  // 64 lowercase hex digits
  const YamlNode* node = nullptr;
  const YamlNode* path_node = nullptr;
  const YamlNode* sha256_node = nullptr;
};

struct WeightRefDecl {
  std::string file_id;                    // a key of weight_files
  std::string tensor;                     // a tensor name inside that file
  const YamlNode* node = nullptr;         // the role's value
  const YamlNode* file_node = nullptr;    // the `file` value (or the value itself, short form)
  const YamlNode* tensor_node = nullptr;  // the `tensor` value (or the value itself)
};

struct OperatorDecl {
  size_t index = 0;  // position in the file's operators list
  std::string name;
  std::string kind;
  Params params;
  std::map<std::string, WeightRefDecl, std::less<>> weights;  // role -> reference
  // Explicit inputs; nullopt = the previous operator (the model input for the first one).
  std::optional<std::vector<std::string>> inputs;
  const YamlNode* node = nullptr;
  const YamlNode* name_node = nullptr;
  const YamlNode* kind_node = nullptr;
  const YamlNode* params_node = nullptr;   // nullptr when absent
  const YamlNode* weights_node = nullptr;  // nullptr when absent
  const YamlNode* inputs_node = nullptr;   // nullptr when absent
};

struct StageDecl {
  size_t index = 0;
  std::string name;
  std::vector<std::string> operators;
  Placement placement;
  const YamlNode* node = nullptr;
  const YamlNode* name_node = nullptr;
  const YamlNode* operators_node = nullptr;
  const YamlNode* placement_node = nullptr;
  const YamlNode* backends_node = nullptr;
};

struct ModelDecl {
  ModelRef model;
  uint32_t timesteps = 0;
  Shape input_shape;
  InputEncoding input_encoding = InputEncoding::kSpikes;
  Precision precision = Precision::kFloat32;
  uint32_t frac_bits = 10;
  std::vector<WeightFileDecl> weight_files;
  std::vector<OperatorDecl> operators;  // in file order
  std::vector<StageDecl> stages;        // in file order
  const YamlNode* root = nullptr;
  const YamlNode* input_shape_node = nullptr;
  const YamlNode* precision_node = nullptr;
};

// Per-field checks of every part of the file. Reports to `sink`; returns nullopt when the file is
// too broken for cross-field checks (schema version unsupported, a required part unusable).
std::optional<ModelDecl> parseModelDecl(const YamlNode& root, DiagnosticSink& sink);

// Operators and stages parts of parseModelDecl (operator_parser.cpp). Report to `sink`.
void parseOperators(const YamlNode& list, ModelDecl& model, DiagnosticSink& sink);
void parseStages(const YamlNode& list, ModelDecl& model, DiagnosticSink& sink);

}  // namespace spikeline::topology
