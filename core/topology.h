// Topology: one model as deployed: its operators, and stages that group operators into workers,
// each with a placement. Produced by topology/ (YAML), consumed by broker/, workers/, hal/.
// A value type. Thread safety: immutable use is safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/ids.h"
#include "core/operator_spec.h"
#include "core/shape.h"

namespace spikeline {

// How a request's input becomes spikes (the first operator may also be an explicit encoder).
enum class InputEncoding : uint8_t {
  kSpikes = 0,  // the client sends spikes already
  kDense = 1,   // the client sends analog values; an encoder operator turns them into spikes
};

struct Placement {
  std::vector<BackendKind> backends;  // preferred first, e.g. {kChip, kCuda, kCpu}
  uint32_t replicas = 1;              // serving replicas. Default: 1
  uint32_t standby = 0;               // extra warm replicas kept for failover. Default: 0
  bool allow_fallback = true;         // may run on a later backend in the list. Default: true
  friend bool operator==(const Placement&, const Placement&) = default;
};

// A group of operators that runs in one worker; operators listed in execution order.
struct Stage {
  std::string name;
  std::vector<std::string> operators;
  Placement placement;
  friend bool operator==(const Stage&, const Stage&) = default;
};

struct Topology {
  ModelRef model;
  uint32_t timesteps = 0;  // T
  Shape input_shape;       // per timestep
  InputEncoding input_encoding = InputEncoding::kSpikes;
  Precision precision = Precision::kFloat32;
  uint32_t frac_bits = 10;              // fixed only; copied into every OperatorSpec
  std::vector<OperatorSpec> operators;  // in topological order
  std::vector<Stage> stages;            // in pipeline order

  // nullptr when absent.
  const OperatorSpec* findOperator(std::string_view name) const;
  friend bool operator==(const Topology&, const Topology&) = default;
};

}  // namespace spikeline
