// Compile-time parsing of an OperatorSpec into the plain values the shared math consumes:
// neuron constants (float and quantised), conv/pool geometry, folded conv weights, encoder,
// attention, graph (CSR) and readout settings. Every backend calls these, so all of them read
// parameters and round them identically. Pure functions over values; safe from any thread.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/operator_spec.h"
#include "core/result.h"
#include "hal/fixed_point.h"
#include "hal/math/geometry.h"
#include "hal/math/neuron.h"

namespace spikeline::hal {

// lif / if / recurrent_lif. `leaky` selects lif/lif_q (lif, recurrent_lif) or if_f/if_q (if,
// with params.gain: |gain| < 2^15).
struct NeuronConfig {
  bool leaky = true;
  math::LifFloat lif;
  math::LifFixed lif_q;
  math::IfFloat if_f;
  math::IfFixed if_q;
};
Result<NeuronConfig> neuronConfig(const OperatorSpec& spec);

// li, integrator, cuba_li, cuba_lif, threshold: one step struct per precision
// (hal/math/neuron.h) that every backend runs. li: leaky membrane (tau, r, v_leak, dt);
// integrator: v += dt * r * x; cuba_*: synapse (alpha dt/tau_syn, gain w_in) then the leaky
// membrane (tau_mem) fed with the new current; cuba_lif and threshold spike (threshold: pass-
// through membrane). `recurrent`: cuba_lif with weights.recurrent (check recurrentWeights()).
struct NirNeuronConfig {
  math::NirNeuronFloat f;
  math::NirNeuronFixed q;
  bool recurrent = false;
};
bool isNirNeuronKind(std::string_view kind);
Result<NirNeuronConfig> nirNeuronConfig(const OperatorSpec& spec);

// delay: params.steps (>= 0, at most 2^20).
Result<uint32_t> delaySteps(const OperatorSpec& spec);

// scale: weights.scale as numel(input) finite values (shaped like the input or [numel]).
Result<std::vector<float>> scaleWeights(const OperatorSpec& spec);

// conv1d as the conv2d it is by definition: kind "conv2d", input [C, 1, L], weight
// [Cout, Cin/g, 1, k], stride [1, s], padding [0, p], dilation [1, d], same groups and bias;
// output_shape [Cout, 1, Lo] when spec declares one. The data layout is unchanged ([C, L] and
// [C, 1, L] are the same elements in the same order), so a backend runs the result on its
// conv2d machinery and only relabels the output [Cout, Lo].
Result<OperatorSpec> conv1dAsConv2d(const OperatorSpec& spec);

// readout: spike_count, or the membrane of v += dt/tau * (-v + x) (integrate() of `lif`/`lif_q`,
// with r = 1 and v_leak = 0).
struct ReadoutConfig {
  bool membrane = false;
  math::LifFloat lif;
  math::LifFixed lif_q;
};
Result<ReadoutConfig> readoutConfig(const OperatorSpec& spec);

// conv2d geometry from spec.input_shape [Cin, H, W], weights.weight and params.
Result<math::ConvGeometry> convGeometry(const OperatorSpec& spec);
// max/avg/sumpool2d geometry from spec.input_shape [C, H, W] and params.
Result<math::PoolGeometry> poolGeometry(const OperatorSpec& spec);
// to_tokens geometry from spec.input_shape [C, H, W] (kInvalidArgument for another rank).
Result<math::TokenGeometry> tokenGeometry(const OperatorSpec& spec);

// Float weights of linear (out, in) or conv2d (Cout, Cin/groups, kH, kW) in PyTorch layout, with
// batch norm folded in (computed in double, rounded to float once) and a bias of `out` values
// (zeros when absent).
struct DenseWeights {
  uint32_t out = 0;  // Cout or out features
  std::vector<float> weight;
  std::vector<float> bias;
};
Result<DenseWeights> linearWeights(const OperatorSpec& spec);
// linear's two forms (core/operator_catalog.h): the flattening form (in = numel(input), rows = 1,
// output [out]) and the per-row form (in = the input's last dimension, rows = numel / in, output
// [R..., out]); input element r * in + i feeds output r * out + o through W[o][i].
struct LinearLayout {
  uint32_t rows = 1;
  uint32_t in = 0;
  uint32_t out = 0;
};
Result<LinearLayout> linearLayout(const OperatorSpec& spec);
Result<DenseWeights> conv2dWeights(const OperatorSpec& spec);
// recurrent_lif's (and cuba_lif's) recurrent weights (N, N) with N = numel(input): present, finite,
// and N <= 2^24 (kUnimplemented beyond: spike sums must stay exact in int32). Borrowed from spec.
Result<const WeightTensor*> recurrentWeights(const OperatorSpec& spec);

// DenseWeights quantised: int8 weights with one shift, bias at 2^-frac_bits.
struct FixedWeights {
  QuantizedWeights weight;
  std::vector<int32_t> bias_q;
};
FixedWeights quantizeDenseWeights(const DenseWeights& w, uint32_t frac_bits);

struct RateConfig {
  uint64_t seed = 0;
  double gain = 1.0;
  int32_t gain_q = 1 << 16;  // gain at 2^-16
};
Result<RateConfig> rateConfig(const OperatorSpec& spec);

struct LatencyConfig {
  double threshold = 0.0;
  int32_t threshold_q = 0;  // at 2^-frac_bits
};
Result<LatencyConfig> latencyConfig(const OperatorSpec& spec);

struct AttentionConfig {
  uint32_t heads = 1;
  float scale = 0.125f;
  int32_t scale_q = 8192;  // scale at 2^-16
};
Result<AttentionConfig> attentionConfig(const OperatorSpec& spec);

// graph_aggregate as CSR by destination: edges of node v are [row_ptr[v], row_ptr[v+1]), in the
// order they were listed. Fixed: weight_q at 2^-weight_q.shift; a self loop adds x[v] * 2^shift.
struct GraphConfig {
  uint32_t nodes = 0;
  uint32_t features = 0;
  bool self_loops = false;
  std::vector<uint32_t> row_ptr;
  std::vector<uint32_t> src;
  std::vector<float> weight;
  QuantizedWeights weight_q;
};
Result<GraphConfig> graphConfig(const OperatorSpec& spec);

}  // namespace spikeline::hal
