#include "core/operator_catalog_checks.h"

namespace spikeline::catalog_detail {

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

// Two forms: the flattening form (in == numel(input), output [out]) and the per-row form
// (rank >= 2, in == the input's last dimension, output [R..., out]: nn.Linear on the last
// dimension). When both fit (every leading dimension is 1) the flattening form wins.
Result<OperatorSignature> checkLinear(const Ctx& c) {
  SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {}, {"weight", "bias"}));
  auto w = c.spec.weights.find("weight");
  if (w == c.spec.weights.end()) return fieldError("weights.weight", "required for linear");
  const Shape& ws = w->second.shape;
  if (ws.rank() != 2)
    return fieldError("weights.weight", "must have rank 2 (out, in), got " + ws.toString());
  const Shape& in = c.shapes[0];
  const bool flattening = ws[1] == in.numel();
  const bool per_row = !flattening && in.rank() >= 2 && ws[1] == in.dims().back();
  if (!flattening && !per_row) {
    return fieldError("weights.weight",
                      "shape " + ws.toString() + " expects " + std::to_string(ws[1]) +
                          " inputs; linear takes either the whole input flattened (in = " +
                          std::to_string(in.numel()) + " for input " + in.toString() +
                          ") or, for an input of rank >= 2, each row of its last dimension (in = " +
                          (in.rank() >= 2 ? std::to_string(in.dims().back()) : "n/a, rank 1") +
                          ")");
  }
  SPIKELINE_RETURN_IF_ERROR(weightShape(c, "bias", Shape{ws[0]}, false));
  if (flattening) return OperatorSignature{Shape{ws[0]}, ValueKind::kDense, true};
  std::vector<uint32_t> out = in.dims();
  out.back() = ws[0];
  return OperatorSignature{Shape(std::move(out)), ValueKind::kDense, true};
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

}  // namespace spikeline::catalog_detail
