// Kernels of the NIR kinds: the NIR neurons (one thread per neuron over all steps; cuba_lif with
// recurrent weights one launch per step, reading the previous step's spikes), delay (a copy
// shifted in time) and scale (one product per element). Per-element math from hal/math.
#include "hal/cuda/cuda_kernels.h"

namespace spikeline::hal::cuda {
namespace {

constexpr unsigned kThreads = 256;

unsigned blocksFor(size_t total) {
  const size_t b = (total + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b == 0 ? 1 : (b > 65535u * 32u ? 65535u * 32u : b));
}

__device__ size_t firstIndex() { return size_t(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ size_t strideAll() { return size_t(gridDim.x) * blockDim.x; }

__device__ void setSpike(const OutputView& y, uint32_t t, uint32_t i) {
  atomicOr(&y.bits[size_t(t) * y.words + (i >> 6)], 1ull << (i & 63));
}

// One neuron-step with input `x_f` / `x_q` (recurrent term already added); writes the spike or
// the membrane of step t.
__device__ void stepAndStore(const NirNeuronArgs& a, uint32_t t, size_t i, float& i_f, float& v_f,
                             int32_t& i_q, int32_t& v_q, float x_f, int32_t x_q,
                             const OutputView& y) {
  const size_t k = size_t(t) * a.n + i;
  if (a.p.fixed) {
    const bool s = a.q.step(i_q, v_q, x_q);
    if (a.q.spiking) {
      if (s) setSpike(y, t, uint32_t(i));
    } else {
      y.q[k] = v_q;
    }
  } else {
    const bool s = a.f.step(i_f, v_f, x_f);
    if (a.f.spiking) {
      if (s) setSpike(y, t, uint32_t(i));
    } else {
      y.f[k] = v_f;
    }
  }
}

__global__ void nirNeuronKernel(NirNeuronArgs a, InputView x, OutputView y) {
  const int32_t one = int32_t{1} << a.p.frac_bits;
  for (size_t i = firstIndex(); i < a.n; i += strideAll()) {
    float i_f = 0.0f, v_f = 0.0f;
    int32_t i_q = 0, v_q = 0;
    for (uint32_t t = 0; t < a.steps; ++t) {
      const float x_f = a.p.fixed ? 0.0f : floatAt(x, t, uint32_t(i));
      const int32_t x_q = a.p.fixed ? fixedAt(x, t, uint32_t(i), one, a.p.frac_bits) : 0;
      stepAndStore(a, t, i, i_f, v_f, i_q, v_q, x_f, x_q, y);
    }
  }
}

__global__ void nirRecurrentStepKernel(NirNeuronArgs a, uint32_t t, InputView x, OutputView y) {
  const int32_t one = int32_t{1} << a.p.frac_bits;
  for (size_t i = firstIndex(); i < a.n; i += strideAll()) {
    int64_t rec_q = 0;
    float x_f = a.p.fixed ? 0.0f : floatAt(x, t, uint32_t(i));
    if (t > 0) {  // W_rec * s_{t-1}, spikes in ascending order as the CPU reference adds them
      const unsigned long long* prev = y.bits + size_t(t - 1) * y.words;
      for (uint32_t wd = 0; wd < y.words; ++wd) {
        for (unsigned long long b = prev[wd]; b != 0; b &= b - 1) {
          const uint32_t j = wd * 64u + uint32_t(__ffsll(static_cast<long long>(b)) - 1);
          if (a.p.fixed) {
            rec_q += a.w_rec_q[i * a.n + j];
          } else {
            x_f += a.w_rec[i * a.n + j];
          }
        }
      }
    }
    int32_t x_q = 0;
    if (a.p.fixed) {
      x_q = fixedAt(x, t, uint32_t(i), one, a.p.frac_bits);
      if (t > 0) x_q = math::sat32(int64_t{x_q} + math::rescale(rec_q, a.shift, a.p.frac_bits));
    }
    float dummy_f = 0.0f;
    int32_t dummy_q = 0;
    float& i_f = a.p.fixed ? dummy_f : a.i_f[i];
    float& v_f = a.p.fixed ? dummy_f : a.v_f[i];
    int32_t& i_q = a.p.fixed ? a.i_q[i] : dummy_q;
    int32_t& v_q = a.p.fixed ? a.v_q[i] : dummy_q;
    stepAndStore(a, t, i, i_f, v_f, i_q, v_q, x_f, x_q, y);
  }
}

__global__ void delayKernel(DelayArgs a, InputView x, OutputView y) {
  const bool spikes = x.bits != nullptr;
  const size_t per_step = spikes ? x.words : x.n;
  const size_t total = size_t(a.steps) * per_step, shift = size_t(a.delay) * per_step;
  for (size_t k = firstIndex(); k < total; k += strideAll()) {
    const bool on = k >= shift;
    if (spikes) {
      y.bits[k] = on ? x.bits[k - shift] : 0ull;
    } else if (x.q != nullptr) {
      y.q[k] = on ? x.q[k - shift] : 0;
    } else {
      y.f[k] = on ? x.f[k - shift] : 0.0f;
    }
  }
}

__global__ void scaleKernel(ScaleArgs a, InputView x, OutputView y) {
  const size_t total = size_t(a.steps) * a.n;
  const int in_bits = x.bits != nullptr ? 0 : a.p.frac_bits;  // a spike counts 1 in the product
  for (size_t k = firstIndex(); k < total; k += strideAll()) {
    const uint32_t t = uint32_t(k / a.n), i = uint32_t(k % a.n);
    if (a.p.fixed) {
      const int64_t acc = int64_t{a.wq[i]} * fixedAt(x, t, i, 1, a.p.frac_bits);
      y.q[k] = math::accToActivation(acc, a.shift, in_bits, a.p.frac_bits, 0);
    } else {
      y.f[k] = a.w[i] * floatAt(x, t, i);
    }
  }
}

}  // namespace

cudaError_t launchNirNeurons(const NirNeuronArgs& a, InputView x, OutputView y, cudaStream_t s) {
  nirNeuronKernel<<<blocksFor(a.n), kThreads, 0, s>>>(a, x, y);
  return cudaGetLastError();
}

cudaError_t launchNirRecurrentStep(const NirNeuronArgs& a, uint32_t t, InputView x, OutputView y,
                                   cudaStream_t s) {
  nirRecurrentStepKernel<<<blocksFor(a.n), kThreads, 0, s>>>(a, t, x, y);
  return cudaGetLastError();
}

cudaError_t launchDelay(const DelayArgs& a, InputView x, OutputView y, cudaStream_t s) {
  const size_t per_step = x.bits != nullptr ? x.words : x.n;
  delayKernel<<<blocksFor(size_t(a.steps) * per_step), kThreads, 0, s>>>(a, x, y);
  return cudaGetLastError();
}

cudaError_t launchScale(const ScaleArgs& a, InputView x, OutputView y, cudaStream_t s) {
  scaleKernel<<<blocksFor(size_t(a.steps) * a.n), kThreads, 0, s>>>(a, x, y);
  return cudaGetLastError();
}

}  // namespace spikeline::hal::cuda
