#include "tests/hal/conformance_cases.h"

#include <cmath>
#include <random>

#include "tests/support/random_tensors.h"

namespace spikeline::hal::testing {
namespace {

using spikeline::testing::randomFloats;
using spikeline::testing::randomSpikes;

struct Gen {
  std::mt19937_64 rng;
  Precision precision;
  uint32_t frac_bits = 10;

  uint32_t pick(uint32_t lo, uint32_t hi) {
    return std::uniform_int_distribution<uint32_t>(lo, hi)(rng);
  }
  double density() {
    const double d[] = {0.02, 0.05, 0.1, 0.2, 0.4, 0.7};
    return d[pick(0, 5)];
  }
  Tensor spikesOf(const Shape& s, uint32_t t) { return randomSpikes(s, t, density(), rng()); }
  // Dense values uniform in [lo, hi]: float32 in float mode, x_q in fixed mode.
  Tensor dense(const Shape& s, uint32_t t, float lo, float hi) {
    DenseTensor f = randomFloats(s, t, lo, hi, rng());
    if (precision == Precision::kFloat32) return f;
    std::vector<int32_t> q;
    for (float v : f.floats()) q.push_back(int32_t(std::lround(double(v) * (1 << frac_bits))));
    return DenseTensor(s, t, std::move(q));
  }
  std::vector<float> weights(size_t n, float scale) {
    std::uniform_real_distribution<float> d(-scale, scale);
    std::vector<float> w(n);
    for (float& x : w) x = d(rng);
    return w;
  }
  OperatorSpec spec(std::string kind, Shape in) {
    OperatorSpec s;
    s.name = kind;
    s.kind = std::move(kind);
    s.input_shape = std::move(in);
    s.precision = precision;
    s.frac_bits = frac_bits;
    return s;
  }
  void weight(OperatorSpec& s, const std::string& name, Shape shape, float scale) {
    const size_t n = shape.numel();
    s.weights[name] = WeightTensor{std::move(shape), weights(n, scale)};
  }
  void neuronParams(OperatorSpec& s, bool leaky, bool subtract) {
    if (leaky) {
      s.params.set("tau", double(pick(2, 20)) * 1e-3);
      s.params.set("v_leak", 0.1);
      s.params.set("r", 1.5);
    }
    s.params.set("v_threshold", 0.5);
    s.params.set("v_reset", -0.1);
    s.params.set("reset", std::string(subtract ? "subtract" : "value"));
  }
};

void conv(Gen& g, ConformanceCase& c, bool bn_groups) {
  const uint32_t groups = bn_groups ? 2 : 1;
  const uint32_t cin = g.pick(1, 3) * groups, cout = g.pick(1, 3) * groups;
  const uint32_t h = g.pick(4, 9), w = g.pick(4, 9), k = g.pick(1, 3);
  c.spec = g.spec("conv2d", Shape{cin, h, w});
  g.weight(c.spec, "weight", Shape{cout, cin / groups, k, k}, 0.5f);
  g.weight(c.spec, "bias", Shape{cout}, 0.2f);
  c.spec.params.set("stride", int64_t(g.pick(1, 2)));
  c.spec.params.set("padding", int64_t(g.pick(0, 1)));
  if (bn_groups) {
    c.spec.params.set("groups", int64_t{groups});
    c.spec.params.set("dilation", std::vector<int64_t>{1, 2});
    for (const char* n : {"bn_weight", "bn_bias", "bn_mean"})
      g.weight(c.spec, n, Shape{cout}, 1.0f);
    c.spec.weights["bn_var"] = WeightTensor{Shape{cout}, std::vector<float>(cout, 0.5f)};
    c.inputs = {g.dense(Shape{cin, h, w}, g.pick(1, 4), -1, 1)};
  } else {
    c.inputs = {g.spikesOf(Shape{cin, h, w}, g.pick(1, 6))};
  }
}

void pool(Gen& g, ConformanceCase& c, const std::string& kind, bool spikes_in) {
  const Shape in{g.pick(1, 3), g.pick(3, 8), g.pick(3, 8)};
  c.spec = g.spec(kind, in);
  const uint32_t k = g.pick(1, 3);
  c.spec.params.set("kernel", int64_t{k});
  c.spec.params.set("stride", int64_t(g.pick(1, 2)));
  c.spec.params.set("padding", int64_t(g.pick(0, k / 2)));
  c.inputs = {spikes_in ? g.spikesOf(in, g.pick(1, 5)) : g.dense(in, g.pick(1, 5), -1, 1)};
}

void neuron(Gen& g, ConformanceCase& c, const std::string& kind, bool subtract) {
  const Shape in{g.pick(1, 40)};
  c.spec = g.spec(kind, in);
  g.neuronParams(c.spec, kind != "if", subtract);
  if (kind == "recurrent_lif") g.weight(c.spec, "recurrent", Shape{in[0], in[0]}, 0.3f);
  c.inputs = {g.dense(in, g.pick(1, 30), -0.5f, kind == "if" ? 0.5f : 1.5f)};
}

// The NIR kinds: li, integrator, cuba_li, cuba_lif (+ _subtract, _recurrent), threshold, if_gain
// on dense or spike input (drawn), delay and scale on either kind, conv1d.
void nirNeuron(Gen& g, ConformanceCase& c, const std::string& name) {
  const Shape in = g.pick(0, 1) ? Shape{g.pick(1, 40)} : Shape{g.pick(1, 4), g.pick(1, 10)};
  const std::string kind = name.rfind("cuba_lif", 0) == 0 ? "cuba_lif"
                           : name == "if_gain"            ? "if"
                                                          : name;
  c.spec = g.spec(kind, in);
  Params& p = c.spec.params;
  if (kind == "li") {
    p.set("tau", double(g.pick(2, 20)) * 1e-3);
    p.set("r", 1.5);
    p.set("v_leak", 0.1);
  } else if (kind == "integrator") {
    p.set("r", 0.5 + 0.25 * g.pick(0, 4));
    p.set("dt", 0.1);
  } else if (kind == "cuba_li" || kind == "cuba_lif") {
    p.set("tau_syn", double(g.pick(2, 10)) * 1e-3);
    p.set("tau_mem", double(g.pick(2, 20)) * 1e-3);
    p.set("r", 1.2);
    p.set("v_leak", 0.1);
    p.set("w_in", 3.0);
  }
  if (kind == "cuba_lif" || kind == "threshold" || kind == "if") p.set("v_threshold", 0.3);
  if (kind == "cuba_lif" || kind == "if") {
    p.set("v_reset", -0.1);
    p.set("reset", std::string(name == "cuba_lif_subtract" ? "subtract" : "value"));
  }
  if (kind == "if") p.set("gain", 0.25 * g.pick(1, 8));
  if (name == "cuba_lif_recurrent") {
    const uint32_t n = uint32_t(in.numel());
    g.weight(c.spec, "recurrent", Shape{n, n}, 0.3f);
  }
  const uint32_t t = g.pick(1, 30);
  // if takes dense input only (as before); the NIR neurons take either.
  const bool spikes = kind != "if" && g.pick(0, 1) == 1;
  const bool busy = name == "cuba_lif_recurrent";  // enough spikes for the recurrence to matter
  c.inputs = {!spikes ? g.dense(in, t, -0.5f, kind == "if" ? 1.0f : 1.5f)
              : busy  ? spikeline::testing::randomSpikes(in, t, 0.5, g.rng())
                      : g.spikesOf(in, t)};
}

void delayOrScale(Gen& g, ConformanceCase& c, const std::string& name) {
  const Shape in = g.pick(0, 1) ? Shape{g.pick(1, 100)} : Shape{g.pick(1, 4), g.pick(1, 30)};
  const uint32_t t = g.pick(2, 12);
  const bool spikes = name == "delay_spikes" || name == "scale_spikes";
  if (name.rfind("delay", 0) == 0) {
    c.spec = g.spec("delay", in);
    c.spec.params.set("steps", int64_t(g.pick(0, t)));  // steps = T: all zeros
  } else {
    c.spec = g.spec("scale", in);
    g.weight(c.spec, "scale", g.pick(0, 1) ? in : Shape{uint32_t(in.numel())}, 2.0f);
  }
  c.inputs = {spikes ? g.spikesOf(in, t) : g.dense(in, t, -1, 1)};
}

void conv1d(Gen& g, ConformanceCase& c, bool groups_stride) {
  const uint32_t groups = groups_stride ? 2 : 1;
  const uint32_t cin = g.pick(1, 3) * groups, cout = g.pick(1, 3) * groups;
  const uint32_t len = g.pick(10, 40), k = g.pick(1, 5);
  c.spec = g.spec("conv1d", Shape{cin, len});
  g.weight(c.spec, "weight", Shape{cout, cin / groups, k}, 0.5f);
  g.weight(c.spec, "bias", Shape{cout}, 0.2f);
  c.spec.params.set("padding", int64_t(g.pick(0, 2)));
  if (groups_stride) {
    c.spec.params.set("groups", int64_t{groups});
    c.spec.params.set("stride", int64_t(g.pick(2, 3)));
    c.spec.params.set("dilation", std::vector<int64_t>{int64_t(g.pick(1, 2))});
  }
  const uint32_t t = g.pick(1, 5);
  c.inputs = {g.pick(0, 1) ? g.spikesOf(Shape{cin, len}, t) : g.dense(Shape{cin, len}, t, -1, 1)};
}

void encoder(Gen& g, ConformanceCase& c, const std::string& kind) {
  const Shape in{g.pick(1, 50)};
  c.spec = g.spec(kind, in);
  if (kind == "encode_rate") {
    c.spec.params.set("seed", int64_t(g.pick(0, 1000)));
    c.spec.params.set("gain", 0.8);
  }
  if (kind == "encode_latency") c.spec.params.set("threshold", 0.1);
  c.inputs = {g.dense(in, 1, -0.2f, 1.2f)};
  c.ctx = RunContext{g.rng(), g.pick(1, 16)};
}

// linear's per-row form: weight [out, in] on [R, in] or [A, B, in] (R, A*B >= 2), so rows cross
// 64-bit spike words. "linear_rows_sparse": spikes at 2-5% (the CPU reference's event path);
// "linear_rows_busy": spikes at 70% (its dense path in float32); "linear_rows_dense": values.
void linearRows(Gen& g, ConformanceCase& c, const std::string& name) {
  const uint32_t in = g.pick(1, 100), out = g.pick(1, 40);
  const Shape x = g.pick(0, 1) ? Shape{g.pick(2, 12), in} : Shape{g.pick(1, 3), g.pick(2, 4), in};
  c.spec = g.spec("linear", x);
  g.weight(c.spec, "weight", Shape{out, in}, 0.5f);
  g.weight(c.spec, "bias", Shape{out}, 0.2f);
  const uint32_t t = g.pick(1, 6);
  if (name == "linear_rows_dense") {
    c.inputs = {g.dense(x, t, -1, 1)};
  } else {
    const double density = name == "linear_rows_sparse" ? (g.pick(0, 1) ? 0.02 : 0.05) : 0.7;
    c.inputs = {spikeline::testing::randomSpikes(x, t, density, g.rng())};
  }
}

}  // namespace

const std::vector<std::string>& conformanceCaseNames() {
  static const std::vector<std::string> kNames = {"encode_direct",
                                                  "encode_rate",
                                                  "encode_latency",
                                                  "conv2d_spikes",
                                                  "conv2d_bn_groups",
                                                  "linear_spikes",
                                                  "linear_dense",
                                                  "lif",
                                                  "lif_subtract",
                                                  "if",
                                                  "recurrent_lif",
                                                  "maxpool2d_spikes",
                                                  "maxpool2d_dense",
                                                  "avgpool2d",
                                                  "sumpool2d",
                                                  "flatten",
                                                  "add",
                                                  "iand",
                                                  "self_attention",
                                                  "graph_aggregate",
                                                  "readout_count",
                                                  "readout_membrane",
                                                  "linear_rows_sparse",
                                                  "linear_rows_busy",
                                                  "linear_rows_dense",
                                                  "to_tokens_spikes",
                                                  "to_tokens_dense",
                                                  "if_gain",
                                                  "li",
                                                  "integrator",
                                                  "cuba_li",
                                                  "cuba_lif",
                                                  "cuba_lif_subtract",
                                                  "cuba_lif_recurrent",
                                                  "threshold",
                                                  "delay_spikes",
                                                  "delay_dense",
                                                  "scale_spikes",
                                                  "scale_dense",
                                                  "conv1d",
                                                  "conv1d_groups_stride"};
  return kNames;
}

ConformanceCase makeConformanceCase(const std::string& name, Precision precision, uint64_t seed) {
  Gen g{std::mt19937_64(seed * 7919 + std::hash<std::string>{}(name)), precision};
  ConformanceCase c;
  if (name.rfind("encode_", 0) == 0) {
    encoder(g, c, name);
  } else if (name == "conv2d_spikes" || name == "conv2d_bn_groups") {
    conv(g, c, name == "conv2d_bn_groups");
  } else if (name == "linear_spikes" || name == "linear_dense") {
    const Shape in{g.pick(1, 300)};
    const uint32_t out = g.pick(1, 70);
    c.spec = g.spec("linear", in);
    g.weight(c.spec, "weight", Shape{out, in[0]}, 0.5f);
    g.weight(c.spec, "bias", Shape{out}, 0.2f);
    c.inputs = {name == "linear_dense" ? g.dense(in, g.pick(1, 5), -1, 1)
                                       : g.spikesOf(in, g.pick(1, 8))};
  } else if (name == "lif" || name == "lif_subtract" || name == "if" || name == "recurrent_lif") {
    neuron(g, c, name == "lif_subtract" ? "lif" : name, name == "lif_subtract" || name == "if");
  } else if (name == "maxpool2d_spikes" || name == "maxpool2d_dense") {
    pool(g, c, "maxpool2d", name == "maxpool2d_spikes");
  } else if (name == "avgpool2d" || name == "sumpool2d") {
    pool(g, c, name, g.pick(0, 1) == 1);
  } else if (name == "flatten") {
    const Shape in{g.pick(1, 3), g.pick(1, 5), g.pick(1, 5)};
    c.spec = g.spec("flatten", in);
    c.inputs = {g.pick(0, 1) ? g.spikesOf(in, 3) : g.dense(in, 3, -1, 1)};
  } else if (name == "add" || name == "iand") {
    const Shape in{g.pick(1, 100)};
    const uint32_t t = g.pick(1, 6);
    c.spec = g.spec(name, in);
    c.inputs = {g.spikesOf(in, t), name == "add" ? g.dense(in, t, -1, 1) : g.spikesOf(in, t)};
  } else if (name == "self_attention") {
    const uint32_t heads = g.pick(1, 2);
    const Shape in{g.pick(1, 8), heads * g.pick(1, 6)};
    const uint32_t t = g.pick(1, 4);
    c.spec = g.spec(name, in);
    c.spec.params.set("heads", int64_t{heads});
    c.inputs = {g.spikesOf(in, t), g.spikesOf(in, t), g.spikesOf(in, t)};
  } else if (name == "graph_aggregate") {
    const uint32_t nodes = g.pick(2, 12), edges = g.pick(0, 30);
    c.spec = g.spec(name, Shape{nodes, g.pick(1, 4)});
    std::vector<int64_t> src, dst;
    for (uint32_t e = 0; e < edges; ++e)
      src.push_back(g.pick(0, nodes - 1)), dst.push_back(g.pick(0, nodes - 1));
    c.spec.params.set("edge_src", src);
    c.spec.params.set("edge_dst", dst);
    c.spec.params.set("self_loops", g.pick(0, 1) == 1);
    g.weight(c.spec, "edge_weight", Shape{edges}, 1.0f);
    c.inputs = {g.pick(0, 1) ? g.spikesOf(c.spec.input_shape, 2)
                             : g.dense(c.spec.input_shape, 2, -1, 1)};
  } else if (name.rfind("linear_rows_", 0) == 0) {
    linearRows(g, c, name);
  } else if (name == "to_tokens_spikes" || name == "to_tokens_dense") {
    const Shape in{g.pick(1, 8), g.pick(1, 9), g.pick(1, 9)};
    c.spec = g.spec("to_tokens", in);
    const uint32_t t = g.pick(1, 5);
    c.inputs = {name == "to_tokens_spikes" ? g.spikesOf(in, t) : g.dense(in, t, -1, 1)};
  } else if (name == "if_gain" || name == "li" || name == "integrator" || name == "cuba_li" ||
             name.rfind("cuba_lif", 0) == 0 || name == "threshold") {
    nirNeuron(g, c, name);
  } else if (name.rfind("delay_", 0) == 0 || name.rfind("scale_", 0) == 0) {
    delayOrScale(g, c, name);
  } else if (name == "conv1d" || name == "conv1d_groups_stride") {
    conv1d(g, c, name == "conv1d_groups_stride");
  } else if (name == "readout_count") {
    c.spec = g.spec("readout", Shape{g.pick(1, 20)});
    c.inputs = {g.spikesOf(c.spec.input_shape, g.pick(1, 20))};
  } else if (name == "readout_membrane") {
    c.spec = g.spec("readout", Shape{g.pick(1, 20)});
    c.spec.params.set("mode", std::string("membrane"));
    c.spec.params.set("tau", 0.005);
    c.inputs = {g.dense(c.spec.input_shape, g.pick(1, 20), -1, 1)};
  }
  return c;
}

}  // namespace spikeline::hal::testing
