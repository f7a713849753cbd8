#include "hal/op_params.h"

#include <array>
#include <cmath>
#include <optional>
#include <string>

#include "hal/op_params_detail.h"

namespace spikeline::hal {
namespace op_params_detail {

Status fieldError(const std::string& field, const std::string& problem) {
  return invalidArgument(field + ": " + problem);
}

Result<double> doubleParam(const Params& p, const std::string& name, std::optional<double> dflt) {
  Result<double> r = dflt ? p.getDoubleOr(name, *dflt) : p.getDouble(name);
  if (!r.isOk()) return fieldError("params." + name, r.status().message());
  if (!std::isfinite(*r)) return fieldError("params." + name, "must be finite");
  return *r;
}

Result<double> positiveParam(const Params& p, const std::string& name, std::optional<double> d) {
  SPIKELINE_ASSIGN_OR_RETURN(double v, doubleParam(p, name, d));
  if (!(v > 0.0)) return fieldError("params." + name, "must be > 0, got " + std::to_string(v));
  return v;
}

const WeightTensor* findWeight(const OperatorSpec& spec, const std::string& name) {
  auto it = spec.weights.find(name);
  return it == spec.weights.end() ? nullptr : &it->second;
}

Status checkWeight(const WeightTensor* w, const std::string& name, uint64_t numel) {
  if (w == nullptr) return fieldError("weights." + name, "required");
  if (w->values.size() != numel || w->shape.numel() != numel) {
    return fieldError("weights." + name, "holds " + std::to_string(w->values.size()) +
                                             " values, expected " + std::to_string(numel));
  }
  if (!allFinite(w->values)) return fieldError("weights." + name, "holds NaN or infinity");
  return Status::ok();
}

}  // namespace op_params_detail

namespace {

using namespace op_params_detail;  // NOLINT: defined above

using Pair = std::array<uint32_t, 2>;

// An int or [h, w] parameter, each >= min.
Result<Pair> pairParam(const Params& p, const std::string& name, Pair fallback, int64_t min) {
  if (!p.has(name)) return fallback;
  std::vector<int64_t> v;
  if (Result<int64_t> one = p.getInt(name); one.isOk()) {
    v = {*one, *one};
  } else if (Result<std::vector<int64_t>> two = p.getIntList(name); two.isOk()) {
    v = *two;
  }
  if (v.size() != 2) return fieldError("params." + name, "must be an integer or a list of 2");
  for (int64_t x : v) {
    if (x < min || x > int64_t{1} << 20) {
      return fieldError("params." + name, "must be in [" + std::to_string(min) + ", 2^20]");
    }
  }
  return Pair{uint32_t(v[0]), uint32_t(v[1])};
}

}  // namespace

Result<NeuronConfig> neuronConfig(const OperatorSpec& spec) {
  const Params& p = spec.params;
  const int f = static_cast<int>(spec.frac_bits);
  NeuronConfig c;
  c.leaky = spec.kind != "if";
  SPIKELINE_ASSIGN_OR_RETURN(double th, doubleParam(p, "v_threshold", std::nullopt));
  SPIKELINE_ASSIGN_OR_RETURN(double v_reset, doubleParam(p, "v_reset", 0.0));
  Result<std::string> reset = p.getStringOr("reset", "value");
  if (!reset.isOk() || (*reset != "value" && *reset != "subtract")) {
    return fieldError("params.reset", "must be \"value\" or \"subtract\"");
  }
  const bool subtract = *reset == "subtract";
  SPIKELINE_ASSIGN_OR_RETURN(double gain, doubleParam(p, "gain", 1.0));
  if (std::fabs(gain) >= 32768.0) return fieldError("params.gain", "must be below 2^15");
  c.if_f = {float(th), float(v_reset), subtract, float(gain)};
  c.if_q = {math::toActivation(th, f), math::toActivation(v_reset, f), subtract,
            quantizeDecay(gain)};
  if (!c.leaky) return c;
  SPIKELINE_ASSIGN_OR_RETURN(double tau, positiveParam(p, "tau", std::nullopt));
  SPIKELINE_ASSIGN_OR_RETURN(double dt, positiveParam(p, "dt", 1e-3));
  SPIKELINE_ASSIGN_OR_RETURN(double r, doubleParam(p, "r", 1.0));
  SPIKELINE_ASSIGN_OR_RETURN(double v_leak, doubleParam(p, "v_leak", 0.0));
  const double alpha = dt / tau;
  c.lif = {float(alpha), float(r), float(v_leak), float(th), float(v_reset), subtract};
  c.lif_q = {quantizeDecay(alpha), quantizeDecay(r * alpha), math::toActivation(v_leak, f),
             c.if_q.v_threshold_q, c.if_q.v_reset_q,         subtract};
  return c;
}

Result<ReadoutConfig> readoutConfig(const OperatorSpec& spec) {
  ReadoutConfig c;
  Result<std::string> mode = spec.params.getStringOr("mode", "spike_count");
  if (!mode.isOk() || (*mode != "spike_count" && *mode != "membrane")) {
    return fieldError("params.mode", "must be \"spike_count\" or \"membrane\"");
  }
  c.membrane = *mode == "membrane";
  if (!c.membrane) return c;
  SPIKELINE_ASSIGN_OR_RETURN(double tau, positiveParam(spec.params, "tau", std::nullopt));
  SPIKELINE_ASSIGN_OR_RETURN(double dt, positiveParam(spec.params, "dt", 1e-3));
  const double alpha = dt / tau;
  c.lif.alpha = float(alpha);
  c.lif.r = 1.0f;
  c.lif.v_leak = 0.0f;
  c.lif_q.decay_q = quantizeDecay(alpha);
  c.lif_q.gain_q = c.lif_q.decay_q;
  c.lif_q.v_leak_q = 0;
  return c;
}

Result<math::ConvGeometry> convGeometry(const OperatorSpec& spec) {
  const WeightTensor* w = findWeight(spec, "weight");
  if (w == nullptr || w->shape.rank() != 4) {
    return fieldError("weights.weight", "conv2d needs a weight of rank 4 (Cout, Cin/g, kH, kW)");
  }
  if (spec.input_shape.rank() != 3) {
    return fieldError("input_shape", "conv2d needs [C, H, W], got " + spec.input_shape.toString());
  }
  math::ConvGeometry g;
  g.cin = spec.input_shape[0], g.h = spec.input_shape[1], g.w = spec.input_shape[2];
  g.cout = w->shape[0], g.kh = w->shape[2], g.kw = w->shape[3];
  SPIKELINE_ASSIGN_OR_RETURN(Pair s, pairParam(spec.params, "stride", {1, 1}, 1));
  SPIKELINE_ASSIGN_OR_RETURN(Pair pd, pairParam(spec.params, "padding", {0, 0}, 0));
  SPIKELINE_ASSIGN_OR_RETURN(Pair d, pairParam(spec.params, "dilation", {1, 1}, 1));
  g.stride_h = s[0], g.stride_w = s[1], g.pad_h = pd[0], g.pad_w = pd[1];
  g.dil_h = d[0], g.dil_w = d[1];
  Result<int64_t> groups = spec.params.getIntOr("groups", 1);
  if (!groups.isOk() || *groups < 1 || g.cin % *groups != 0 || g.cout % *groups != 0 ||
      int64_t{w->shape[1]} * *groups != g.cin) {
    return fieldError("params.groups",
                      "must divide Cin and Cout and match weight shape " + w->shape.toString());
  }
  g.groups = uint32_t(*groups);
  g.ho = math::windowOutputSize(g.h, g.kh, g.stride_h, g.pad_h, g.dil_h);
  g.wo = math::windowOutputSize(g.w, g.kw, g.stride_w, g.pad_w, g.dil_w);
  if (g.ho == 0 || g.wo == 0) return fieldError("weights.weight", "kernel larger than input");
  return g;
}

Result<math::PoolGeometry> poolGeometry(const OperatorSpec& spec) {
  if (spec.input_shape.rank() != 3) {
    return fieldError("input_shape", spec.kind + " needs [C, H, W]");
  }
  if (!spec.params.has("kernel")) return fieldError("params.kernel", "required");
  math::PoolGeometry g;
  g.c = spec.input_shape[0], g.h = spec.input_shape[1], g.w = spec.input_shape[2];
  SPIKELINE_ASSIGN_OR_RETURN(Pair k, pairParam(spec.params, "kernel", {1, 1}, 1));
  SPIKELINE_ASSIGN_OR_RETURN(Pair s, pairParam(spec.params, "stride", k, 1));
  SPIKELINE_ASSIGN_OR_RETURN(Pair pd, pairParam(spec.params, "padding", {0, 0}, 0));
  if (pd[0] * 2 > k[0] || pd[1] * 2 > k[1]) {
    return fieldError("params.padding", "must be at most half the kernel");
  }
  g.kh = k[0], g.kw = k[1], g.stride_h = s[0], g.stride_w = s[1], g.pad_h = pd[0], g.pad_w = pd[1];
  g.ho = math::windowOutputSize(g.h, g.kh, g.stride_h, g.pad_h, 1);
  g.wo = math::windowOutputSize(g.w, g.kw, g.stride_w, g.pad_w, 1);
  if (g.ho == 0 || g.wo == 0) return fieldError("params.kernel", "larger than the padded input");
  return g;
}

Result<math::TokenGeometry> tokenGeometry(const OperatorSpec& spec) {
  const Shape& x = spec.input_shape;
  if (x.rank() != 3 || x.numel() == 0) {
    return fieldError(
        "inputs", "to_tokens expects a non-empty input of rank 3 [C, H, W], got " + x.toString());
  }
  return math::TokenGeometry{x[0], x[1] * x[2]};
}

Result<LinearLayout> linearLayout(const OperatorSpec& spec) {
  const WeightTensor* w = findWeight(spec, "weight");
  if (w == nullptr || w->shape.rank() != 2) {
    return fieldError("weights.weight", "linear needs a weight of rank 2 (out, in)");
  }
  const Shape& x = spec.input_shape;
  LinearLayout l{1, w->shape[1], w->shape[0]};
  if (l.in == x.numel()) return l;
  if (x.rank() >= 2 && l.in > 0 && l.in == x.dims().back()) {
    l.rows = static_cast<uint32_t>(x.numel() / l.in);
    return l;
  }
  return fieldError("weights.weight", "shape " + w->shape.toString() +
                                          " matches neither the flattened input " + x.toString() +
                                          " nor its last dimension");
}

Result<DenseWeights> linearWeights(const OperatorSpec& spec) {
  SPIKELINE_RETURN_IF_ERROR(linearLayout(spec).status());
  const WeightTensor* w = findWeight(spec, "weight");
  DenseWeights d;
  d.out = w->shape[0];
  SPIKELINE_RETURN_IF_ERROR(checkWeight(w, "weight", w->shape.numel()));
  d.weight = w->values;
  d.bias.assign(d.out, 0.0f);
  if (const WeightTensor* b = findWeight(spec, "bias")) {
    SPIKELINE_RETURN_IF_ERROR(checkWeight(b, "bias", d.out));
    d.bias = b->values;
  }
  return d;
}

Result<const WeightTensor*> recurrentWeights(const OperatorSpec& spec) {
  const uint64_t n = spec.input_shape.numel();
  const WeightTensor* w = findWeight(spec, "recurrent");
  SPIKELINE_RETURN_IF_ERROR(checkWeight(w, "recurrent", n * n));
  if (n > (uint64_t{1} << 24)) {
    return unimplemented("inputs: " + spec.kind + " supports at most 2^24 neurons");
  }
  return w;
}

Result<DenseWeights> conv2dWeights(const OperatorSpec& spec) {
  SPIKELINE_ASSIGN_OR_RETURN(math::ConvGeometry g, convGeometry(spec));
  const WeightTensor* w = findWeight(spec, "weight");
  SPIKELINE_RETURN_IF_ERROR(checkWeight(w, "weight", w->shape.numel()));
  DenseWeights d;
  d.out = g.cout;
  d.weight = w->values;
  d.bias.assign(g.cout, 0.0f);
  if (const WeightTensor* b = findWeight(spec, "bias")) {
    SPIKELINE_RETURN_IF_ERROR(checkWeight(b, "bias", g.cout));
    d.bias = b->values;
  }
  const WeightTensor* bn[4] = {findWeight(spec, "bn_weight"), findWeight(spec, "bn_bias"),
                               findWeight(spec, "bn_mean"), findWeight(spec, "bn_var")};
  const int present =
      (bn[0] != nullptr) + (bn[1] != nullptr) + (bn[2] != nullptr) + (bn[3] != nullptr);
  if (present == 0) return d;
  if (present != 4) return fieldError("weights", "batch norm needs all four bn_* tensors or none");
  const char* names[4] = {"bn_weight", "bn_bias", "bn_mean", "bn_var"};
  for (int i = 0; i < 4; ++i) SPIKELINE_RETURN_IF_ERROR(checkWeight(bn[i], names[i], g.cout));
  SPIKELINE_ASSIGN_OR_RETURN(double eps, positiveParam(spec.params, "bn_eps", 1e-5));
  const size_t per_out = d.weight.size() / g.cout;
  for (uint32_t o = 0; o < g.cout; ++o) {
    const double var = bn[3]->values[o];
    if (!(var + eps > 0.0)) return fieldError("weights.bn_var", "var + eps must be > 0");
    const double inv = double(bn[0]->values[o]) / std::sqrt(var + eps);
    for (size_t i = 0; i < per_out; ++i) {
      float& x = d.weight[o * per_out + i];
      x = float(double(x) * inv);
    }
    d.bias[o] = float((double(d.bias[o]) - bn[2]->values[o]) * inv + bn[1]->values[o]);
  }
  return d;
}

FixedWeights quantizeDenseWeights(const DenseWeights& w, uint32_t frac_bits) {
  return FixedWeights{quantizeWeights(w.weight), quantizeActivations(w.bias, frac_bits)};
}

Result<RateConfig> rateConfig(const OperatorSpec& spec) {
  RateConfig c;
  Result<int64_t> seed = spec.params.getIntOr("seed", 0);
  if (!seed.isOk() || *seed < 0) return fieldError("params.seed", "must be an integer >= 0");
  c.seed = uint64_t(*seed);
  SPIKELINE_ASSIGN_OR_RETURN(c.gain, doubleParam(spec.params, "gain", 1.0));
  if (std::fabs(c.gain) >= 32768.0) return fieldError("params.gain", "must be below 2^15");
  c.gain_q = quantizeDecay(c.gain);
  return c;
}

Result<LatencyConfig> latencyConfig(const OperatorSpec& spec) {
  LatencyConfig c;
  SPIKELINE_ASSIGN_OR_RETURN(c.threshold, doubleParam(spec.params, "threshold", 0.0));
  c.threshold_q = quantizeActivation(c.threshold, spec.frac_bits);
  return c;
}

Result<AttentionConfig> attentionConfig(const OperatorSpec& spec) {
  AttentionConfig c;
  Result<int64_t> heads = spec.params.getIntOr("heads", 1);
  const uint32_t dim = spec.input_shape.rank() == 2 ? spec.input_shape[1] : 0;
  if (!heads.isOk() || *heads < 1 || dim == 0 || dim % *heads != 0) {
    return fieldError("params.heads", "must be >= 1 and divide dim of [tokens, dim]");
  }
  c.heads = uint32_t(*heads);
  SPIKELINE_ASSIGN_OR_RETURN(double scale, positiveParam(spec.params, "scale", 0.125));
  if (scale >= 32768.0) return fieldError("params.scale", "must be below 2^15");
  c.scale = float(scale);
  c.scale_q = quantizeDecay(scale);
  return c;
}

Result<GraphConfig> graphConfig(const OperatorSpec& spec) {
  if (spec.input_shape.rank() != 2) return fieldError("input_shape", "needs [nodes, features]");
  GraphConfig c;
  c.nodes = spec.input_shape[0];
  c.features = spec.input_shape[1];
  Result<std::vector<int64_t>> src = spec.params.getIntList("edge_src");
  Result<std::vector<int64_t>> dst = spec.params.getIntList("edge_dst");
  if (!src.isOk()) return fieldError("params.edge_src", src.status().message());
  if (!dst.isOk()) return fieldError("params.edge_dst", dst.status().message());
  if (src->size() != dst->size()) return fieldError("params.edge_dst", "length != edge_src");
  const size_t e_count = src->size();
  std::vector<float> w(e_count, 1.0f);
  if (const WeightTensor* ew = findWeight(spec, "edge_weight")) {
    SPIKELINE_RETURN_IF_ERROR(checkWeight(ew, "edge_weight", e_count));
    w = ew->values;
  }
  Result<bool> loops = spec.params.getBoolOr("self_loops", false);
  if (!loops.isOk()) return fieldError("params.self_loops", loops.status().message());
  c.self_loops = *loops;
  c.row_ptr.assign(c.nodes + 1, 0);
  for (size_t e = 0; e < e_count; ++e) {
    const int64_t s = (*src)[e], d = (*dst)[e];
    if (s < 0 || s >= c.nodes || d < 0 || d >= c.nodes) {
      return fieldError("params.edge_src", "edge " + std::to_string(e) + " is outside the nodes");
    }
    ++c.row_ptr[d + 1];
  }
  for (uint32_t v = 0; v < c.nodes; ++v) c.row_ptr[v + 1] += c.row_ptr[v];
  c.src.resize(e_count);
  c.weight.resize(e_count);
  std::vector<uint32_t> fill(c.row_ptr.begin(), c.row_ptr.end() - 1);
  for (size_t e = 0; e < e_count; ++e) {
    const uint32_t slot = fill[(*dst)[e]]++;
    c.src[slot] = uint32_t((*src)[e]);
    c.weight[slot] = w[e];
  }
  c.weight_q = quantizeWeights(c.weight);
  return c;
}

}  // namespace spikeline::hal
