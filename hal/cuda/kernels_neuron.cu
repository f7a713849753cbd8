// Kernels with neuron state: lif / if (one thread per neuron over all steps), recurrent_lif (one
// launch per step: a neuron needs every neuron's previous spikes) and readout.
#include "hal/cuda/cuda_kernels.h"

namespace spikeline::hal::cuda {
namespace {

constexpr unsigned kThreads = 256;

unsigned blocksFor(size_t total) {
  const size_t b = (total + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b == 0 ? 1 : (b > 65535u * 32u ? 65535u * 32u : b));
}

__device__ void setSpike(const OutputView& y, uint32_t t, uint32_t i) {
  atomicOr(&y.bits[size_t(t) * y.words + (i >> 6)], 1ull << (i & 63));
}

// One neuron-step; `current` already holds the input (and recurrent) current.
__device__ bool stepFixed(const NeuronArgs& a, int32_t& v, int32_t current) {
  return a.leaky ? a.lif_q.step(v, current) : a.if_q.step(v, current);
}
__device__ bool stepFloat(const NeuronArgs& a, float& v, float current) {
  return a.leaky ? a.lif.step(v, current) : a.if_f.step(v, current);
}

__global__ void neuronKernel(NeuronArgs a, InputView x, OutputView y) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < a.n;
       i += size_t(gridDim.x) * blockDim.x) {
    float v_f = 0.0f;
    int32_t v_q = 0;
    for (uint32_t t = 0; t < a.steps; ++t) {
      const size_t k = size_t(t) * a.n + i;
      const bool spike = a.p.fixed ? stepFixed(a, v_q, x.q[k]) : stepFloat(a, v_f, x.f[k]);
      if (spike) setSpike(y, t, uint32_t(i));
    }
  }
}

__global__ void recurrentStepKernel(NeuronArgs a, uint32_t t, InputView x, OutputView y) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < a.n;
       i += size_t(gridDim.x) * blockDim.x) {
    int64_t rec_q = 0;
    float current_f = a.p.fixed ? 0.0f : x.f[size_t(t) * a.n + i];
    if (t > 0) {  // W_rec * s_{t-1}, spikes in ascending order as the CPU reference adds them
      const unsigned long long* prev = y.bits + size_t(t - 1) * y.words;
      for (uint32_t wd = 0; wd < y.words; ++wd) {
        for (unsigned long long b = prev[wd]; b != 0; b &= b - 1) {
          const uint32_t j = wd * 64u + uint32_t(__ffsll(static_cast<long long>(b)) - 1);
          if (a.p.fixed) {
            rec_q += a.w_rec_q[i * a.n + j];
          } else {
            current_f += a.w_rec[i * a.n + j];
          }
        }
      }
    }
    bool spike;
    if (a.p.fixed) {
      int32_t current = x.q[size_t(t) * a.n + i];
      if (t > 0) {
        current = math::sat32(int64_t{current} + math::rescale(rec_q, a.shift, a.p.frac_bits));
      }
      spike = stepFixed(a, a.v_q[i], current);
    } else {
      spike = stepFloat(a, a.v_f[i], current_f);
    }
    if (spike) setSpike(y, t, uint32_t(i));
  }
}

__global__ void readoutKernel(ReadoutArgs a, InputView x, OutputView y) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < a.n;
       i += size_t(gridDim.x) * blockDim.x) {
    if (!a.membrane) {
      int64_t count = 0;
      for (uint32_t t = 0; t < a.steps; ++t) count += spikeAt(x, t, uint32_t(i)) ? 1 : 0;
      if (a.p.fixed) {
        y.q[i] = math::sat32(math::rescale(count, 0, a.p.frac_bits));
      } else {
        y.f[i] = float(count);
      }
    } else if (a.p.fixed) {
      int32_t v = 0;
      for (uint32_t t = 0; t < a.steps; ++t) v = a.lif_q.integrate(v, x.q[size_t(t) * a.n + i]);
      y.q[i] = v;
    } else {
      float v = 0.0f;
      for (uint32_t t = 0; t < a.steps; ++t) v = a.lif.integrate(v, x.f[size_t(t) * a.n + i]);
      y.f[i] = v;
    }
  }
}

}  // namespace

cudaError_t launchNeurons(const NeuronArgs& a, InputView x, OutputView y, cudaStream_t s) {
  neuronKernel<<<blocksFor(a.n), kThreads, 0, s>>>(a, x, y);
  return cudaGetLastError();
}

cudaError_t launchRecurrentStep(const NeuronArgs& a, uint32_t t, InputView x, OutputView y,
                                cudaStream_t s) {
  recurrentStepKernel<<<blocksFor(a.n), kThreads, 0, s>>>(a, t, x, y);
  return cudaGetLastError();
}

cudaError_t launchReadout(const ReadoutArgs& a, InputView x, OutputView y, cudaStream_t s) {
  readoutKernel<<<blocksFor(a.n), kThreads, 0, s>>>(a, x, y);
  return cudaGetLastError();
}

}  // namespace spikeline::hal::cuda
