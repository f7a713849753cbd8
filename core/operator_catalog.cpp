#include "core/operator_catalog.h"

#include <algorithm>
#include <array>
#include <functional>
#include <initializer_list>
#include <string>

namespace spikeline {
namespace {

using Ints2 = std::array<int64_t, 2>;

Status fieldError(std::string_view field, const std::string& problem) {
  return invalidArgument(std::string(field) + ": " + problem);
}

// Everything a per-kind checker needs.
struct Ctx {
  const OperatorSpec& spec;
  std::span<const Shape> shapes;
  std::span<const ValueKind> kinds;
};

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

// A Params lookup whose error is prefixed with "params.<name>".
template <typename T>
Status param(Result<T> r, std::string_view name, T& out) {
  if (!r.isOk()) return fieldError("params." + std::string(name), r.status().message());
  out = *r;
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

// Checks a weight's shape; `required` false allows it to be absent. Sets `present`.
Status weightShape(const Ctx& c, std::string_view name, const Shape& want, bool required,
                   bool* present = nullptr) {
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

Status neuronParams(const Ctx& c, bool leaky) {
  double v = 0;
  if (leaky) {
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

Result<OperatorSignature> checkConv2d(const Ctx& c) {
  SPIKELINE_RETURN_IF_ERROR(
      checkKnownNames(c, {"stride", "padding", "dilation", "groups", "bn_eps"},
                      {"weight", "bias", "bn_weight", "bn_bias", "bn_mean", "bn_var"}));
  SPIKELINE_RETURN_IF_ERROR(requireRank(c, 0, 3, "[C, H, W]"));
  auto w = c.spec.weights.find("weight");
  if (w == c.spec.weights.end()) return fieldError("weights.weight", "required for conv2d");
  const Shape& ws = w->second.shape;
  if (ws.rank() != 4)
    return fieldError("weights.weight",
                      "must have rank 4 (Cout, Cin/groups, kH, kW), got " + ws.toString());
  Ints2 stride, padding, dilation;
  SPIKELINE_RETURN_IF_ERROR(pairParam(c.spec.params, "stride", {1, 1}, 1, stride));
  SPIKELINE_RETURN_IF_ERROR(pairParam(c.spec.params, "padding", {0, 0}, 0, padding));
  SPIKELINE_RETURN_IF_ERROR(pairParam(c.spec.params, "dilation", {1, 1}, 1, dilation));
  int64_t groups = 1;
  SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getIntOr("groups", 1), "groups", groups));
  const int64_t cin = c.shapes[0][0], cout = ws[0];
  if (groups < 1 || cin % groups != 0 || cout % groups != 0) {
    return fieldError("params.groups", "must be >= 1 and divide both input channels (" +
                                           std::to_string(cin) + ") and output channels (" +
                                           std::to_string(cout) + "), got " +
                                           std::to_string(groups));
  }
  if (int64_t(ws[1]) * groups != cin) {
    return fieldError("weights.weight", "shape " + ws.toString() + " expects " +
                                            std::to_string(int64_t(ws[1]) * groups) +
                                            " input channels, input has " + std::to_string(cin));
  }
  double eps = 0;
  SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDoubleOr("bn_eps", 1e-5), "bn_eps", eps));
  SPIKELINE_RETURN_IF_ERROR(requirePositive("bn_eps", eps));
  const Shape per_channel{ws[0]};
  SPIKELINE_RETURN_IF_ERROR(weightShape(c, "bias", per_channel, false));
  int bn_count = 0;
  for (std::string_view bn : {"bn_weight", "bn_bias", "bn_mean", "bn_var"}) {
    bool present = false;
    SPIKELINE_RETURN_IF_ERROR(weightShape(c, bn, per_channel, false, &present));
    bn_count += present;
  }
  if (bn_count != 0 && bn_count != 4) {
    return fieldError("weights",
                      "batch norm needs all of bn_weight, bn_bias, bn_mean, bn_var or none");
  }
  std::array<int64_t, 2> out{};
  for (int d = 0; d < 2; ++d) {
    const int64_t in = c.shapes[0][1 + d], k = ws[2 + d];
    const int64_t span = dilation[d] * (k - 1) + 1;
    out[d] = (in + 2 * padding[d] - span) / stride[d] + 1;
    if (in + 2 * padding[d] < span) out[d] = 0;
  }
  if (out[0] < 1 || out[1] < 1) {
    return fieldError(
        "weights.weight",
        "kernel " + ws.toString() + " is larger than the padded input " + c.shapes[0].toString());
  }
  return OperatorSignature{Shape{uint32_t(cout), uint32_t(out[0]), uint32_t(out[1])},
                           ValueKind::kDense, true};
}

Result<OperatorSignature> checkLinear(const Ctx& c) {
  SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {}, {"weight", "bias"}));
  auto w = c.spec.weights.find("weight");
  if (w == c.spec.weights.end()) return fieldError("weights.weight", "required for linear");
  const Shape& ws = w->second.shape;
  if (ws.rank() != 2)
    return fieldError("weights.weight", "must have rank 2 (out, in), got " + ws.toString());
  if (ws[1] != c.shapes[0].numel()) {
    return fieldError("weights.weight", "shape " + ws.toString() + " expects " +
                                            std::to_string(ws[1]) + " inputs, input " +
                                            c.shapes[0].toString() + " has " +
                                            std::to_string(c.shapes[0].numel()));
  }
  SPIKELINE_RETURN_IF_ERROR(weightShape(c, "bias", Shape{ws[0]}, false));
  return OperatorSignature{Shape{ws[0]}, ValueKind::kDense, true};
}

Result<OperatorSignature> checkNeuron(const Ctx& c) {
  if (c.spec.kind == "if") {
    SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {"v_threshold", "v_reset", "reset"}, {}));
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

Result<OperatorSignature> checkPool(const Ctx& c) {
  SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {"kernel", "stride", "padding"}, {}));
  SPIKELINE_RETURN_IF_ERROR(requireRank(c, 0, 3, "[C, H, W]"));
  if (!c.spec.params.has("kernel"))
    return fieldError("params.kernel", "required for " + c.spec.kind);
  Ints2 kernel, stride, padding;
  SPIKELINE_RETURN_IF_ERROR(pairParam(c.spec.params, "kernel", {1, 1}, 1, kernel));
  SPIKELINE_RETURN_IF_ERROR(pairParam(c.spec.params, "stride", kernel, 1, stride));
  SPIKELINE_RETURN_IF_ERROR(pairParam(c.spec.params, "padding", {0, 0}, 0, padding));
  std::array<int64_t, 2> out{};
  for (int d = 0; d < 2; ++d) {
    if (padding[d] * 2 > kernel[d]) {
      return fieldError("params.padding",
                        "must be at most half the kernel, got " + std::to_string(padding[d]));
    }
    const int64_t in = c.shapes[0][1 + d];
    out[d] =
        in + 2 * padding[d] < kernel[d] ? 0 : (in + 2 * padding[d] - kernel[d]) / stride[d] + 1;
  }
  if (out[0] < 1 || out[1] < 1) {
    return fieldError("params.kernel", "is larger than the padded input " + c.shapes[0].toString());
  }
  const ValueKind kind = c.spec.kind == "maxpool2d" ? c.kinds[0] : ValueKind::kDense;
  return OperatorSignature{Shape{c.shapes[0][0], uint32_t(out[0]), uint32_t(out[1])}, kind, true};
}

Result<OperatorSignature> checkFlatten(const Ctx& c) {
  SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {}, {}));
  return OperatorSignature{Shape{uint32_t(c.shapes[0].numel())}, c.kinds[0], true};
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

Result<OperatorSignature> checkAttention(const Ctx& c) {
  SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {"heads", "scale"}, {}));
  for (size_t i = 0; i < 3; ++i) {
    SPIKELINE_RETURN_IF_ERROR(requireRank(c, i, 2, "[tokens, dim]"));
    SPIKELINE_RETURN_IF_ERROR(requireInputKind(c, i, ValueKind::kSpikes));
    if (c.shapes[i] != c.shapes[0]) {
      return fieldError("inputs", "self_attention needs q, k, v of the same shape, got " +
                                      c.shapes[0].toString() + " and " + c.shapes[i].toString());
    }
  }
  int64_t heads = 1;
  SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getIntOr("heads", 1), "heads", heads));
  if (heads < 1 || c.shapes[0][1] % heads != 0) {
    return fieldError("params.heads", "must be >= 1 and divide dim " +
                                          std::to_string(c.shapes[0][1]) + ", got " +
                                          std::to_string(heads));
  }
  double scale = 0;
  SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDoubleOr("scale", 0.125), "scale", scale));
  SPIKELINE_RETURN_IF_ERROR(requirePositive("scale", scale));
  return sameAsInput(c, ValueKind::kDense);
}

Result<OperatorSignature> checkGraph(const Ctx& c) {
  SPIKELINE_RETURN_IF_ERROR(
      checkKnownNames(c, {"edge_src", "edge_dst", "self_loops"}, {"edge_weight"}));
  SPIKELINE_RETURN_IF_ERROR(requireRank(c, 0, 2, "[nodes, features]"));
  std::vector<int64_t> src, dst;
  SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getIntList("edge_src"), "edge_src", src));
  SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getIntList("edge_dst"), "edge_dst", dst));
  if (src.size() != dst.size()) {
    return fieldError("params.edge_dst", "has " + std::to_string(dst.size()) +
                                             " entries, edge_src has " +
                                             std::to_string(src.size()));
  }
  const int64_t nodes = c.shapes[0][0];
  for (size_t e = 0; e < src.size(); ++e) {
    if (src[e] < 0 || src[e] >= nodes || dst[e] < 0 || dst[e] >= nodes) {
      return fieldError("params.edge_src", "edge " + std::to_string(e) + " (" +
                                               std::to_string(src[e]) + " -> " +
                                               std::to_string(dst[e]) + ") is outside [0, " +
                                               std::to_string(nodes) + ")");
    }
  }
  bool loops = false;
  SPIKELINE_RETURN_IF_ERROR(
      param(c.spec.params.getBoolOr("self_loops", false), "self_loops", loops));
  SPIKELINE_RETURN_IF_ERROR(weightShape(c, "edge_weight", Shape{uint32_t(src.size())}, false));
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

constexpr std::array<KindEntry, 18> kKinds = {{
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
