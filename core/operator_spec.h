// OperatorSpec: one operator of a model as the topology file declares it and the HAL compiles
// it: kind, typed parameters, weights (already loaded and checked), precision, shapes.
// A value type; owns its weights. Thread safety: immutable use is safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/ids.h"
#include "core/result.h"
#include "core/shape.h"

namespace spikeline {

// float32: CPU and CUDA agree within a stated tolerance.
// fixed: int8 weights with a power-of-two scale, integer membrane; bit-identical on every backend.
enum class Precision : uint8_t { kFloat32 = 0, kFixed = 1 };
std::string_view precisionName(Precision p);  // "float32" | "fixed"
Result<Precision> parsePrecision(std::string_view name);

enum class BackendKind : uint8_t { kCpu = 0, kCuda = 1, kChip = 2 };
std::string_view backendKindName(BackendKind k);  // "cpu" | "cuda" | "chip"
Result<BackendKind> parseBackendKind(std::string_view name);

// One parameter value. Integers and reals are kept apart so identity hashing is exact.
using ParamValue =
    std::variant<int64_t, double, bool, std::string, std::vector<int64_t>, std::vector<double>>;

// Named, typed parameters with lookups that fail with a message naming the parameter.
class Params {
 public:
  void set(std::string name, ParamValue value) { values_[std::move(name)] = std::move(value); }
  bool has(std::string_view name) const { return values_.find(name) != values_.end(); }
  const std::map<std::string, ParamValue, std::less<>>& all() const { return values_; }

  // kNotFound when absent, kInvalidArgument when of another type. An int64 is accepted where a
  // double is asked for.
  Result<int64_t> getInt(std::string_view name) const;
  Result<double> getDouble(std::string_view name) const;
  Result<bool> getBool(std::string_view name) const;
  Result<std::string> getString(std::string_view name) const;
  Result<std::vector<int64_t>> getIntList(std::string_view name) const;
  // Like the above, but `fallback` when absent (still kInvalidArgument when of another type).
  Result<int64_t> getIntOr(std::string_view name, int64_t fallback) const;
  Result<double> getDoubleOr(std::string_view name, double fallback) const;
  Result<bool> getBoolOr(std::string_view name, bool fallback) const;
  Result<std::string> getStringOr(std::string_view name, std::string fallback) const;

  friend bool operator==(const Params&, const Params&) = default;

 private:
  std::map<std::string, ParamValue, std::less<>> values_;
};

// A weight tensor in float32, row-major, PyTorch layout (Linear (out,in), Conv2d (Cout,Cin,kH,kW)).
// Fixed-point backends quantise it at compile time with one shared function.
struct WeightTensor {
  Shape shape;
  std::vector<float> values;  // shape.numel() values
  friend bool operator==(const WeightTensor&, const WeightTensor&) = default;
};

struct OperatorSpec {
  std::string name;  // unique within a model, e.g. "conv1"
  std::string kind;  // catalog kind, e.g. "conv2d", "lif", "linear"
  Precision precision = Precision::kFloat32;
  uint32_t frac_bits = 10;  // fixed only: activations are in units of 2^-frac_bits
  Params params;
  std::map<std::string, WeightTensor, std::less<>> weights;  // e.g. "weight", "bias"
  std::vector<std::string> inputs;  // upstream operator names; empty = the model/stage input
  Shape input_shape;                // per timestep, of the first input
  Shape output_shape;               // per timestep
  OperatorId id;                    // identity (topology/ computes it)
  friend bool operator==(const OperatorSpec&, const OperatorSpec&) = default;
};

}  // namespace spikeline
