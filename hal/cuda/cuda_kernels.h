// The CUDA kernels' launchers (internal to hal/cuda): plain-data arguments, one launcher per
// operator family, each enqueuing on the given stream and returning cudaGetLastError(). The
// per-element math is hal/math's (SPIKELINE_HD), the same code the CPU reference and the chip
// emulator run. Thread safety: launchers are stateless; a stream serialises its own work.
#pragma once

#include <cuda_runtime.h>
#include <stdint.h>

#include "hal/math/fixed.h"
#include "hal/math/geometry.h"
#include "hal/math/hd.h"
#include "hal/math/neuron.h"

namespace spikeline::hal::cuda {

// One input tensor on the device: exactly one of bits / f / q is set.
struct InputView {
  const uint64_t* bits = nullptr;  // packed spikes, `words` per step
  uint32_t words = 0;
  const float* f = nullptr;    // float32 values, n per step
  const int32_t* q = nullptr;  // int32 activations at 2^-F, n per step
  uint32_t n = 0;              // elements per step
};

SPIKELINE_HD inline bool spikeAt(const InputView& x, uint32_t t, uint32_t i) {
  return (x.bits[size_t(t) * x.words + (i >> 6)] >> (i & 63)) & 1u;
}
// Float mode: a spike is 1.0.
SPIKELINE_HD inline float floatAt(const InputView& x, uint32_t t, uint32_t i) {
  if (x.bits != nullptr) return spikeAt(x, t, i) ? 1.0f : 0.0f;
  return x.f[size_t(t) * x.n + i];
}
// Fixed mode: a spike is `spike_value` (1 inside a synaptic sum, 2^F as an activation); float
// input (encoders) is quantised with math::toActivation.
SPIKELINE_HD inline int32_t fixedAt(const InputView& x, uint32_t t, uint32_t i, int32_t spike_value,
                                    int frac_bits) {
  if (x.bits != nullptr) return spikeAt(x, t, i) ? spike_value : 0;
  if (x.q != nullptr) return x.q[size_t(t) * x.n + i];
  return math::toActivation(static_cast<double>(x.f[size_t(t) * x.n + i]), frac_bits);
}

// One output tensor on the device: bits (spikes, zeroed before launch) or f / q.
struct OutputView {
  unsigned long long* bits = nullptr;
  uint32_t words = 0;
  float* f = nullptr;
  int32_t* q = nullptr;
  uint32_t n = 0;
};

struct Precision2 {
  bool fixed = false;
  int frac_bits = 10;
};

enum class EncodeMode : int { kDirect = 0, kRate = 1, kLatency = 2 };

struct EncodeArgs {
  EncodeMode mode = EncodeMode::kDirect;
  Precision2 p;
  uint32_t t_in = 1;   // input steps (1: held for every output step)
  uint32_t steps = 1;  // output steps
  uint64_t seed = 0;
  uint64_t request_id = 0;
  double gain = 1.0;
  int32_t gain_q = 1 << 16;
  double threshold = 0.0;
  int32_t threshold_q = 0;
};
cudaError_t launchEncode(const EncodeArgs& a, InputView x, OutputView y, cudaStream_t s);

// linear: W [out][in] (float or int8 at 2^-shift), bias [out], applied to each of `rows` rows
// of the input (1: the flattening form): y[t][r][o] from x[t][r * in .. r * in + in).
struct LinearArgs {
  Precision2 p;
  uint32_t rows = 1, in = 0, out = 0, steps = 0;
  const float* w = nullptr;
  const float* bias = nullptr;
  const int8_t* wq = nullptr;
  const int32_t* bias_q = nullptr;
  int shift = 0;
};
cudaError_t launchLinear(const LinearArgs& a, InputView x, OutputView y, cudaStream_t s);

// conv2d: W (Cout, Cin/g, kH, kW) as linear (conv1d: the conv2d of conv1dAsConv2d).
struct ConvArgs {
  Precision2 p;
  math::ConvGeometry g;
  uint32_t steps = 0;
  const float* w = nullptr;
  const float* bias = nullptr;
  const int8_t* wq = nullptr;
  const int32_t* bias_q = nullptr;
  int shift = 0;
};
cudaError_t launchConv2d(const ConvArgs& a, InputView x, OutputView y, cudaStream_t s);

// lif / if over all steps (one thread per neuron); recurrent_lif one step at a time, reading the
// previous step's spikes from y.bits and keeping membranes in v_f / v_q between launches.
struct NeuronArgs {
  Precision2 p;
  bool leaky = true;
  math::LifFloat lif;
  math::LifFixed lif_q;
  math::IfFloat if_f;
  math::IfFixed if_q;
  uint32_t n = 0, steps = 0;
  const float* w_rec = nullptr;  // recurrent (N, N): row i = weights into neuron i
  const int8_t* w_rec_q = nullptr;
  int shift = 0;
  float* v_f = nullptr;  // recurrent only: N membranes, zeroed before step 0
  int32_t* v_q = nullptr;
};
cudaError_t launchNeurons(const NeuronArgs& a, InputView x, OutputView y, cudaStream_t s);
cudaError_t launchRecurrentStep(const NeuronArgs& a, uint32_t t, InputView x, OutputView y,
                                cudaStream_t s);

// li, integrator, cuba_li, cuba_lif, threshold (kernels_nir.cu): one thread per neuron over all
// steps, output spikes (f.spiking) or the membrane per step; cuba_lif with recurrent weights one
// step per launch, keeping currents and membranes in i_* / v_* between launches.
struct NirNeuronArgs {
  Precision2 p;
  math::NirNeuronFloat f;
  math::NirNeuronFixed q;
  uint32_t n = 0, steps = 0;
  const float* w_rec = nullptr;  // recurrent (N, N): row i = weights into neuron i
  const int8_t* w_rec_q = nullptr;
  int shift = 0;
  float* i_f = nullptr;  // recurrent only: N currents and N membranes, zeroed before step 0
  float* v_f = nullptr;
  int32_t* i_q = nullptr;
  int32_t* v_q = nullptr;
};
cudaError_t launchNirNeurons(const NirNeuronArgs& a, InputView x, OutputView y, cudaStream_t s);
cudaError_t launchNirRecurrentStep(const NirNeuronArgs& a, uint32_t t, InputView x, OutputView y,
                                   cudaStream_t s);

// delay: y[t] = x[t - delay] (zeros before), spikes (packed words) or values, `steps` steps.
struct DelayArgs {
  uint32_t delay = 0, steps = 0;
};
cudaError_t launchDelay(const DelayArgs& a, InputView x, OutputView y, cudaStream_t s);

// scale: y = w ⊙ x per step (float), or accToActivation(w_q * x) (fixed; a spike counts 1).
struct ScaleArgs {
  Precision2 p;
  uint32_t n = 0, steps = 0;
  const float* w = nullptr;
  const int8_t* wq = nullptr;
  int shift = 0;
};
cudaError_t launchScale(const ScaleArgs& a, InputView x, OutputView y, cudaStream_t s);

enum class PoolMode : int { kMax = 0, kAvg = 1, kSum = 2 };
struct PoolArgs {
  Precision2 p;
  PoolMode mode = PoolMode::kMax;
  math::PoolGeometry g;
  uint32_t steps = 0;
};
// Spike output (y.bits) only for maxpool of spikes.
cudaError_t launchPool(const PoolArgs& a, InputView x, OutputView y, cudaStream_t s);

// add: y = a + b (spikes count 1.0; fixed saturates to int32).
cudaError_t launchAdd(Precision2 p, uint32_t steps, InputView a, InputView b, OutputView y,
                      cudaStream_t s);
// to_tokens: [C, H, W] -> [H*W, C], spikes (y.bits) or values copied unchanged.
struct TokensArgs {
  math::TokenGeometry g;
  uint32_t steps = 0;
};
cudaError_t launchToTokens(const TokensArgs& a, InputView x, OutputView y, cudaStream_t s);

// iand: y = (NOT a) AND b over `words` packed words.
cudaError_t launchIand(const uint64_t* a, const uint64_t* b, unsigned long long* y, size_t words,
                       cudaStream_t s);

// readout: spike counts (spikes in) or the final membrane of integrate() (dense in); one step out.
struct ReadoutArgs {
  Precision2 p;
  bool membrane = false;
  math::LifFloat lif;
  math::LifFixed lif_q;
  uint32_t n = 0, steps = 0;
};
cudaError_t launchReadout(const ReadoutArgs& a, InputView x, OutputView y, cudaStream_t s);

// graph_aggregate: CSR by destination (row_ptr, src, weights in listed edge order).
struct GraphArgs {
  Precision2 p;
  uint32_t nodes = 0, features = 0, steps = 0;
  bool self_loops = false;
  const uint32_t* row_ptr = nullptr;
  const uint32_t* src = nullptr;
  const float* w = nullptr;
  const int8_t* wq = nullptr;
  int shift = 0;
};
cudaError_t launchGraph(const GraphArgs& a, InputView x, OutputView y, cudaStream_t s);

// self_attention on spikes q, k, v [tokens, dim]: an exact integer count per output, scaled.
struct AttentionArgs {
  Precision2 p;
  uint32_t tokens = 0, dim = 0, heads = 1, steps = 0;
  float scale = 0.125f;
  int32_t scale_q = 8192;
};
cudaError_t launchAttention(const AttentionArgs& a, InputView q, InputView k, InputView v,
                            OutputView y, cudaStream_t s);

}  // namespace spikeline::hal::cuda
