// Identifiers shared by every module: request, model, operator, worker, route epoch.
// All are small value types, comparable and hashable. Thread safety: immutable values.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>

#include "core/result.h"

namespace spikeline {

// Unique per client request; duplicates of a request (re-sends) share it.
using RequestId = uint64_t;
// Monotonic version of the published route table; higher wins.
using RouteEpoch = uint64_t;

// A deployed model: name plus integer version (e.g. "fmnist-scnn" v3).
struct ModelRef {
  std::string name;
  uint32_t version = 0;
  // "name@version".
  std::string toString() const { return name + "@" + std::to_string(version); }
  friend auto operator<=>(const ModelRef&, const ModelRef&) = default;
};

// Operator identity = first 64 bits of sha256(kind, parameters, weights digest, precision),
// computed by topology/. Equal ids mean interchangeable operators (shared worker pool).
struct OperatorId {
  uint64_t value = 0;
  // 16 lowercase hex digits.
  std::string toHex() const;
  // Parses 16 hex digits (either case); kInvalidArgument otherwise.
  static Result<OperatorId> fromHex(std::string_view hex);
  friend auto operator<=>(const OperatorId&, const OperatorId&) = default;
};

// A worker process, named by its operator (e.g. "chip-0"); unique within a deployment.
struct WorkerId {
  std::string name;
  friend auto operator<=>(const WorkerId&, const WorkerId&) = default;
};

}  // namespace spikeline

template <>
struct std::hash<spikeline::OperatorId> {
  size_t operator()(const spikeline::OperatorId& id) const noexcept { return id.value; }
};
template <>
struct std::hash<spikeline::ModelRef> {
  size_t operator()(const spikeline::ModelRef& m) const noexcept {
    return std::hash<std::string>{}(m.name) * 31u + m.version;
  }
};
