#include "core/operator_catalog.h"

#include <algorithm>
#include <array>
#include <string>

#include "core/operator_catalog_checks.h"

namespace spikeline {
namespace catalog_detail {

Status fieldError(std::string_view field, const std::string& problem) {
  return invalidArgument(std::string(field) + ": " + problem);
}

Status checkKnownNames(const Ctx& c, std::initializer_list<std::string_view> params,
                       std::initializer_list<std::string_view> weights) {
  auto join = [](std::initializer_list<std::string_view> names) {
    std::string out;
    for (std::string_view n : names) out += (out.empty() ? "" : ", ") + std::string(n);
    return out.empty() ? std::string("none") : out;
  };
  for (const auto& [name, value] : c.spec.params.all()) {
    if (std::find(params.begin(), params.end(), name) == params.end()) {
      return fieldError("params." + name,
                        "unknown parameter for " + c.spec.kind + " (known: " + join(params) + ")");
    }
  }
  for (const auto& [name, tensor] : c.spec.weights) {
    if (std::find(weights.begin(), weights.end(), name) == weights.end()) {
      return fieldError("weights." + name,
                        "unknown weight for " + c.spec.kind + " (known: " + join(weights) + ")");
    }
    if (tensor.values.size() != tensor.shape.numel()) {
      return fieldError("weights." + name, "holds " + std::to_string(tensor.values.size()) +
                                               " values but its shape " + tensor.shape.toString() +
                                               " needs " + std::to_string(tensor.shape.numel()));
    }
  }
  return Status::ok();
}

Status requirePositive(std::string_view name, double v) {
  if (!(v > 0.0))
    return fieldError("params." + std::string(name), "must be > 0, got " + std::to_string(v));
  return Status::ok();
}

// An int or [h, w] parameter.
Status pairParam(const Params& p, std::string_view name, Ints2 fallback, int64_t min, Ints2& out) {
  const std::string field = "params." + std::string(name);
  out = fallback;
  if (p.has(name)) {
    if (Result<int64_t> one = p.getInt(name); one.isOk()) {
      out = {*one, *one};
    } else if (Result<std::vector<int64_t>> two = p.getIntList(name); two.isOk()) {
      if (two->size() != 2) return fieldError(field, "must be an integer or a list of 2 integers");
      out = {(*two)[0], (*two)[1]};
    } else {
      return fieldError(field, "must be an integer or a list of 2 integers");
    }
  }
  for (int64_t v : out) {
    if (v < min)
      return fieldError(field, "must be >= " + std::to_string(min) + ", got " + std::to_string(v));
  }
  return Status::ok();
}

Status requireInputKind(const Ctx& c, size_t i, ValueKind want) {
  if (c.kinds[i] != want) {
    return fieldError("inputs", c.spec.kind + " input " + std::to_string(i) + " must be " +
                                    (want == ValueKind::kSpikes ? "spikes" : "dense values") +
                                    ", got " +
                                    (c.kinds[i] == ValueKind::kSpikes ? "spikes" : "dense values"));
  }
  return Status::ok();
}

Status requireRank(const Ctx& c, size_t i, size_t rank, std::string_view layout) {
  if (c.shapes[i].rank() != rank) {
    return fieldError("inputs", c.spec.kind + " expects input of rank " + std::to_string(rank) +
                                    " " + std::string(layout) + ", got " + c.shapes[i].toString());
  }
  return Status::ok();
}

Status weightShape(const Ctx& c, std::string_view name, const Shape& want, bool required,
                   bool* present) {
  auto it = c.spec.weights.find(name);
  if (present) *present = it != c.spec.weights.end();
  const std::string field = "weights." + std::string(name);
  if (it == c.spec.weights.end()) {
    return required ? fieldError(field, "required for " + c.spec.kind + ", expected shape " +
                                            want.toString())
                    : Status::ok();
  }
  if (it->second.shape != want) {
    return fieldError(field,
                      "has shape " + it->second.shape.toString() + ", expected " + want.toString());
  }
  return Status::ok();
}

Result<OperatorSignature> sameAsInput(const Ctx& c, ValueKind kind) {
  return OperatorSignature{c.shapes[0], kind, true};
}

}  // namespace catalog_detail

namespace {

using namespace catalog_detail;  // NOLINT: this file implements them

Status neuronParams(const Ctx& c, bool leaky) {
  double v = 0;
  if (!leaky) {
    SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDoubleOr("gain", 1.0), "gain", v));
  } else {
    SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDouble("tau"), "tau", v));
    SPIKELINE_RETURN_IF_ERROR(requirePositive("tau", v));
    SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDoubleOr("dt", 1e-3), "dt", v));
    SPIKELINE_RETURN_IF_ERROR(requirePositive("dt", v));
    SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDoubleOr("r", 1.0), "r", v));
    SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDoubleOr("v_leak", 0.0), "v_leak", v));
  }
  SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDouble("v_threshold"), "v_threshold", v));
  SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDoubleOr("v_reset", 0.0), "v_reset", v));
  std::string reset;
  SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getStringOr("reset", "value"), "reset", reset));
  if (reset != "value" && reset != "subtract") {
    return fieldError("params.reset", "must be \"value\" or \"subtract\", got \"" + reset + "\"");
  }
  return requireInputKind(c, 0, ValueKind::kDense);
}

Result<OperatorSignature> checkEncoder(const Ctx& c) {
  SPIKELINE_RETURN_IF_ERROR(requireInputKind(c, 0, ValueKind::kDense));
  if (c.spec.kind == "encode_direct") {
    SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {}, {}));
    return sameAsInput(c, ValueKind::kDense);
  }
  double d = 0;
  if (c.spec.kind == "encode_rate") {
    SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {"seed", "gain"}, {}));
    int64_t seed = 0;
    SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getIntOr("seed", 0), "seed", seed));
    if (seed < 0) return fieldError("params.seed", "must be >= 0");
    SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDoubleOr("gain", 1.0), "gain", d));
  } else {
    SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {"threshold"}, {}));
    SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDoubleOr("threshold", 0.0), "threshold", d));
  }
  return sameAsInput(c, ValueKind::kSpikes);
}

Result<OperatorSignature> checkNeuron(const Ctx& c) {
  if (c.spec.kind == "if") {
    SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {"v_threshold", "v_reset", "reset", "gain"}, {}));
    SPIKELINE_RETURN_IF_ERROR(neuronParams(c, false));
  } else if (c.spec.kind == "lif") {
    SPIKELINE_RETURN_IF_ERROR(
        checkKnownNames(c, {"tau", "v_threshold", "r", "v_leak", "v_reset", "reset", "dt"}, {}));
    SPIKELINE_RETURN_IF_ERROR(neuronParams(c, true));
  } else {  // recurrent_lif
    SPIKELINE_RETURN_IF_ERROR(checkKnownNames(
        c, {"tau", "v_threshold", "r", "v_leak", "v_reset", "reset", "dt"}, {"recurrent"}));
    SPIKELINE_RETURN_IF_ERROR(neuronParams(c, true));
    const uint32_t n = uint32_t(c.shapes[0].numel());
    SPIKELINE_RETURN_IF_ERROR(weightShape(c, "recurrent", Shape{n, n}, true));
  }
  return sameAsInput(c, ValueKind::kSpikes);
}

Result<OperatorSignature> checkFlatten(const Ctx& c) {
  SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {}, {}));
  return OperatorSignature{Shape{uint32_t(c.shapes[0].numel())}, c.kinds[0], true};
}

// to_tokens: [C, H, W] -> [H*W, C] (Spikformer's flatten(2).transpose), value kind kept.
Result<OperatorSignature> checkToTokens(const Ctx& c) {
  SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {}, {}));
  SPIKELINE_RETURN_IF_ERROR(requireRank(c, 0, 3, "[C, H, W]"));
  const Shape& in = c.shapes[0];
  return OperatorSignature{Shape{in[1] * in[2], in[0]}, c.kinds[0], true};
}

Result<OperatorSignature> checkElementwise(const Ctx& c) {
  SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {}, {}));
  if (c.shapes[0] != c.shapes[1]) {
    return fieldError("inputs", c.spec.kind + " needs inputs of the same shape, got " +
                                    c.shapes[0].toString() + " and " + c.shapes[1].toString());
  }
  if (c.spec.kind == "iand") {
    SPIKELINE_RETURN_IF_ERROR(requireInputKind(c, 0, ValueKind::kSpikes));
    SPIKELINE_RETURN_IF_ERROR(requireInputKind(c, 1, ValueKind::kSpikes));
    return sameAsInput(c, ValueKind::kSpikes);
  }
  return sameAsInput(c, ValueKind::kDense);
}

Result<OperatorSignature> checkReadout(const Ctx& c) {
  SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {"mode", "tau", "dt"}, {}));
  std::string mode;
  SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getStringOr("mode", "spike_count"), "mode", mode));
  if (mode == "spike_count") {
    SPIKELINE_RETURN_IF_ERROR(requireInputKind(c, 0, ValueKind::kSpikes));
  } else if (mode == "membrane") {
    SPIKELINE_RETURN_IF_ERROR(requireInputKind(c, 0, ValueKind::kDense));
    double v = 0;
    SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDouble("tau"), "tau", v));
    SPIKELINE_RETURN_IF_ERROR(requirePositive("tau", v));
    SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDoubleOr("dt", 1e-3), "dt", v));
    SPIKELINE_RETURN_IF_ERROR(requirePositive("dt", v));
  } else {
    return fieldError("params.mode",
                      "must be \"spike_count\" or \"membrane\", got \"" + mode + "\"");
  }
  return OperatorSignature{c.shapes[0], ValueKind::kDense, false};
}

struct KindEntry {
  std::string_view kind;
  size_t inputs;
  Result<OperatorSignature> (*check)(const Ctx&);
};

constexpr std::array<KindEntry, 27> kKinds = {{
    {"encode_direct", 1, checkEncoder},
    {"encode_rate", 1, checkEncoder},
    {"encode_latency", 1, checkEncoder},
    {"conv2d", 1, checkConv2d},
    {"linear", 1, checkLinear},
    {"lif", 1, checkNeuron},
    {"if", 1, checkNeuron},
    {"recurrent_lif", 1, checkNeuron},
    {"maxpool2d", 1, checkPool},
    {"avgpool2d", 1, checkPool},
    {"sumpool2d", 1, checkPool},
    {"flatten", 1, checkFlatten},
    {"add", 2, checkElementwise},
    {"iand", 2, checkElementwise},
    {"self_attention", 3, checkAttention},
    {"graph_aggregate", 1, checkGraph},
    {"readout", 1, checkReadout},
    {"to_tokens", 1, checkToTokens},
    {"li", 1, checkNirNeuron},
    {"integrator", 1, checkNirNeuron},
    {"cuba_li", 1, checkNirNeuron},
    {"cuba_lif", 1, checkNirNeuron},
    {"threshold", 1, checkThreshold},
    {"delay", 1, checkDelay},
    {"scale", 1, checkScale},
    {"conv1d", 1, checkConv1d},
    {"", 0, nullptr},
}};
constexpr size_t kNumKinds = kKinds.size() - 1;

const KindEntry* findKind(std::string_view kind) {
  for (size_t i = 0; i < kNumKinds; ++i) {
    if (kKinds[i].kind == kind) return &kKinds[i];
  }
  return nullptr;
}

}  // namespace

std::span<const std::string_view> operatorKinds() {
  static const auto kNames = [] {
    std::array<std::string_view, kNumKinds> names{};
    for (size_t i = 0; i < kNumKinds; ++i) names[i] = kKinds[i].kind;
    return names;
  }();
  return kNames;
}

bool isKnownOperatorKind(std::string_view kind) { return findKind(kind) != nullptr; }

size_t operatorInputCount(std::string_view kind) {
  const KindEntry* e = findKind(kind);
  return e ? e->inputs : 0;
}

Result<OperatorSignature> inferOperator(const OperatorSpec& spec,
                                        std::span<const Shape> input_shapes,
                                        std::span<const ValueKind> input_kinds) {
  const KindEntry* e = findKind(spec.kind);
  if (e == nullptr) {
    std::string known;
    for (std::string_view k : operatorKinds())
      known += (known.empty() ? "" : ", ") + std::string(k);
    return Status(StatusCode::kNotFound,
                  "kind: unknown operator kind \"" + spec.kind + "\" (known: " + known + ")");
  }
  if (input_shapes.size() != e->inputs || input_kinds.size() != e->inputs) {
    return fieldError("inputs", spec.kind + " takes " + std::to_string(e->inputs) + " input" +
                                    (e->inputs == 1 ? "" : "s") + ", got " +
                                    std::to_string(input_shapes.size()));
  }
  for (const Shape& s : input_shapes) {
    if (s.rank() == 0 || s.numel() == 0 || s.numel() > (uint64_t{1} << 31)) {
      return fieldError("inputs", "input shape " + s.toString() +
                                      " must be non-empty with at most 2^31 elements");
    }
  }
  return e->check(Ctx{spec, input_shapes, input_kinds});
}

}  // namespace spikeline
