// The NIR importer: a NirFile (nir_graph.h) and the options NIR does not store (dt, reset mode,
// precision, how to cut stages) become a spikeline model: operators of the catalog with their
// weights, in topological order, and pipeline stages. Pure function over values; the mapping of
// every primitive and its parameter conversion is docs/nir.md.
//
// Graph rules: nested NIRGraph nodes are flattened (their nodes become `sub.node`; an edge may
// address `sub.node`, or `sub`, meaning the subgraph's one Input or Output); several edges into one
// node are summed (`add` operators); a cycle is accepted when it is the recurrent connection of a
// neuron (a self-loop on LIF/CubaLIF, or neuron -> Linear -> the same neuron) and becomes the
// neuron's `recurrent` weights; any other cycle is an error naming its nodes. Per-neuron
// parameters must hold one value per layer (all neurons equal): the neuron operators take scalars.
//
// Errors (kInvalidArgument) start with the node at fault, e.g.
//   "node 'fc2' (Linear): weight [7, 41] does not chain: its input has 40 values"
//   "edge fc1 -> lif9: no node 'lif9'"
//   "node 'lif1' (LIF): tau must be > 0, got -0.001"
//   "node 'x' : unknown NIR primitive type \"Foo\" (known: Input, Output, Affine, ...)"
// Thread safety: pure.
#pragma once

#include <string>
#include <vector>

#include "core/operator_spec.h"
#include "core/result.h"
#include "core/shape.h"
#include "nir/nir_graph.h"

namespace spikeline::nir {

enum class ResetMode : uint8_t {
  kNir,       // NIR's own semantics: v = v_reset (0 when the file has no v_reset)
  kZero,      // v = 0
  kSubtract,  // v = v - v_threshold
};

struct ImportOptions {
  double dt = 0.0;  // seconds per timestep (> 0); NIR stores none
  ResetMode reset = ResetMode::kNir;
  Precision precision = Precision::kFloat32;
  uint32_t frac_bits = 12;      // fixed only
  std::string stages = "per-layer";  // "per-layer" | "one" | a count N >= 1
  std::string name = "nir-model";    // model name
  uint32_t timesteps = 100;          // the model's T (NIR stores none)
  bool dense_input = false;          // input encoding: dense values (encode_direct) or spikes
  std::string readout = "none";      // "none" | "spike_count": append a readout to the output
  std::string weights_file = "weights.safetensors";  // the name the YAML refers to
};

struct ImportedStage {
  std::string name;
  std::vector<std::string> operators;
  std::vector<std::string> backends;  // placement preference
};

struct ImportedModel {
  std::string name;
  uint32_t timesteps = 0;
  Shape input_shape;
  bool dense_input = false;
  Precision precision = Precision::kFloat32;
  uint32_t frac_bits = 12;
  std::vector<OperatorSpec> ops;  // topological order; weights filled; input/output shapes set
  std::vector<ImportedStage> stages;
  std::string weights_file;            // the safetensors file name the YAML refers to
  std::string source_version;          // the file's NIR version
  std::vector<std::string> mapping;    // one line per NIR node: "lif1 (LIF) -> lif1: lif"
  std::vector<std::string> warnings;   // e.g. rounding of a delay, fixed-point ratio precision
};

Result<ImportedModel> importNir(const NirFile& file, const ImportOptions& options);

// The NIR primitive types the importer maps, in the order docs/nir.md lists them.
const std::vector<std::string>& supportedPrimitives();

}  // namespace spikeline::nir
