// Kernels without neuron state: encoders, linear, conv2d, pooling, to_tokens, add, iand. One
// thread per output element (grid-stride), per-element math from hal/math.
#include <float.h>

#include "hal/cuda/cuda_kernels.h"
#include "hal/math/encode.h"
#include "hal/math/hash.h"

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

__global__ void encodeKernel(EncodeArgs a, InputView x, OutputView y) {
  const uint32_t n = x.n;
  const size_t total = a.mode == EncodeMode::kLatency ? n : size_t(a.steps) * n;
  for (size_t k = firstIndex(); k < total; k += strideAll()) {
    const uint32_t t = static_cast<uint32_t>(k / n), i = static_cast<uint32_t>(k % n);
    const uint32_t src = a.t_in == 1 ? 0 : t;
    if (a.mode == EncodeMode::kDirect) {
      if (a.p.fixed) {
        y.q[k] = fixedAt(x, src, i, 0, a.p.frac_bits);
      } else {
        y.f[k] = floatAt(x, src, i);
      }
    } else if (a.mode == EncodeMode::kRate) {
      const uint64_t thr = a.p.fixed
                               ? math::rateThresholdFixed(fixedAt(x, src, i, 0, a.p.frac_bits),
                                                          a.gain_q, a.p.frac_bits)
                               : math::rateThresholdFloat(a.gain * double(floatAt(x, src, i)));
      if (math::rateSpike(a.seed, a.request_id, t, i, thr)) setSpike(y, t, i);
    } else {
      const int64_t s = a.p.fixed ? math::latencyStepFixed(fixedAt(x, 0, i, 0, a.p.frac_bits),
                                                           a.threshold_q, a.steps, a.p.frac_bits)
                                  : math::latencyStepFloat(floatAt(x, 0, i), a.threshold, a.steps);
      if (s >= 0 && s < int64_t{a.steps}) setSpike(y, uint32_t(s), i);
    }
  }
}

// Word `wd` of step t's spikes, keeping only addresses in [begin, end).
__device__ uint64_t spikeWordIn(const InputView& x, uint32_t t, uint32_t wd, uint32_t begin,
                                uint32_t end) {
  uint64_t b = x.bits[size_t(t) * x.words + wd];
  const uint32_t lo = wd * 64u;
  if (begin > lo) b &= ~0ull << (begin - lo);
  if (end < lo + 64u) b &= (1ull << (end - lo)) - 1ull;
  return b;
}

__global__ void linearKernel(LinearArgs a, InputView x, OutputView y) {
  const uint32_t n_out = a.rows * a.out;
  const size_t total = size_t(a.steps) * n_out;
  for (size_t k = firstIndex(); k < total; k += strideAll()) {
    const uint32_t t = static_cast<uint32_t>(k / n_out), ro = static_cast<uint32_t>(k % n_out);
    const uint32_t r = ro / a.out, o = ro % a.out;
    const uint32_t begin = r * a.in, end = begin + a.in;  // this row's input addresses
    if (a.p.fixed) {
      const int8_t* w = a.wq + size_t(o) * a.in;
      int64_t acc = 0;
      if (x.bits != nullptr) {
        for (uint32_t wd = begin / 64u; wd * 64u < end; ++wd) {
          for (uint64_t b = spikeWordIn(x, t, wd, begin, end); b != 0; b &= b - 1)
            acc += w[wd * 64u + __ffsll(static_cast<long long>(b)) - 1 - begin];
        }
      } else {
        const int32_t* xq = x.q + size_t(t) * x.n + begin;
        for (uint32_t i = 0; i < a.in; ++i) acc += int64_t{w[i]} * xq[i];
      }
      const int in_bits = x.bits != nullptr ? 0 : a.p.frac_bits;
      y.q[k] = math::accToActivation(acc, a.shift, in_bits, a.p.frac_bits, a.bias_q[o]);
    } else {
      const float* w = a.w + size_t(o) * a.in;
      float acc = 0.0f;
      if (x.bits != nullptr) {
        for (uint32_t wd = begin / 64u; wd * 64u < end; ++wd) {
          for (uint64_t b = spikeWordIn(x, t, wd, begin, end); b != 0; b &= b - 1)
            acc += w[wd * 64u + __ffsll(static_cast<long long>(b)) - 1 - begin];
        }
      } else {
        const float* xf = x.f + size_t(t) * x.n + begin;
        for (uint32_t i = 0; i < a.in; ++i) acc += w[i] * xf[i];
      }
      y.f[k] = acc + a.bias[o];
    }
  }
}

__global__ void conv2dKernel(ConvArgs a, InputView x, OutputView y) {
  const math::ConvGeometry& g = a.g;
  const uint32_t plane = g.ho * g.wo, out_n = g.cout * plane;
  const size_t total = size_t(a.steps) * out_n;
  const uint32_t cinpg = g.cinPerGroup();
  for (size_t k = firstIndex(); k < total; k += strideAll()) {
    const uint32_t t = static_cast<uint32_t>(k / out_n), o = static_cast<uint32_t>(k % out_n);
    const uint32_t co = o / plane, oy = (o % plane) / g.wo, ox = o % g.wo;
    const uint32_t c0 = (co / g.coutPerGroup()) * cinpg;
    int64_t acc_q = 0;
    float acc_f = 0.0f;
    for (uint32_t cl = 0; cl < cinpg; ++cl) {
      for (uint32_t ky = 0; ky < g.kh; ++ky) {
        const int64_t iy = int64_t(oy) * g.stride_h - g.pad_h + int64_t(ky) * g.dil_h;
        if (iy < 0 || iy >= g.h) continue;
        for (uint32_t kx = 0; kx < g.kw; ++kx) {
          const int64_t ix = int64_t(ox) * g.stride_w - g.pad_w + int64_t(kx) * g.dil_w;
          if (ix < 0 || ix >= g.w) continue;
          const uint32_t i = ((c0 + cl) * g.h + uint32_t(iy)) * g.w + uint32_t(ix);
          const size_t wi = ((size_t(co) * cinpg + cl) * g.kh + ky) * g.kw + kx;
          if (a.p.fixed) {
            acc_q += int64_t{a.wq[wi]} * fixedAt(x, t, i, 1, a.p.frac_bits);
          } else {
            acc_f += a.w[wi] * floatAt(x, t, i);
          }
        }
      }
    }
    if (a.p.fixed) {
      const int in_bits = x.bits != nullptr ? 0 : a.p.frac_bits;
      y.q[k] = math::accToActivation(acc_q, a.shift, in_bits, a.p.frac_bits, a.bias_q[co]);
    } else {
      y.f[k] = acc_f + a.bias[co];
    }
  }
}

__global__ void poolKernel(PoolArgs a, InputView x, OutputView y) {
  const math::PoolGeometry& g = a.g;
  const uint32_t out_n = g.c * g.ho * g.wo;
  const size_t total = size_t(a.steps) * out_n;
  const int64_t area = int64_t{g.kh} * g.kw;
  const int32_t one = math::spikeActivation(a.p.frac_bits);
  for (size_t k = firstIndex(); k < total; k += strideAll()) {
    const uint32_t t = static_cast<uint32_t>(k / out_n), o = static_cast<uint32_t>(k % out_n);
    const uint32_t c = o / (g.ho * g.wo), oy = (o / g.wo) % g.ho, ox = o % g.wo;
    int64_t sum_q = 0;
    int32_t best_q = INT32_MIN;
    float sum_f = 0.0f, best_f = -FLT_MAX;
    for (uint32_t ky = 0; ky < g.kh; ++ky) {
      const int64_t iy = int64_t(oy) * g.stride_h + ky - g.pad_h;
      if (iy < 0 || iy >= g.h) continue;
      for (uint32_t kx = 0; kx < g.kw; ++kx) {
        const int64_t ix = int64_t(ox) * g.stride_w + kx - g.pad_w;
        if (ix < 0 || ix >= g.w) continue;
        const uint32_t i = (c * g.h + uint32_t(iy)) * g.w + uint32_t(ix);
        if (a.p.fixed) {
          const int32_t v = fixedAt(x, t, i, one, a.p.frac_bits);
          sum_q += v;
          best_q = v > best_q ? v : best_q;
        } else {
          const float v = floatAt(x, t, i);
          sum_f += v;
          best_f = v > best_f ? v : best_f;
        }
      }
    }
    if (y.bits != nullptr) {  // maxpool of spikes: an OR
      if (a.p.fixed ? best_q > 0 : best_f > 0.0f) setSpike(y, t, o);
    } else if (a.p.fixed) {
      y.q[k] = a.mode == PoolMode::kMax   ? best_q
               : a.mode == PoolMode::kAvg ? math::sat32(math::floorDiv(sum_q, area))
                                          : math::sat32(sum_q);
    } else {
      y.f[k] = a.mode == PoolMode::kMax   ? best_f
               : a.mode == PoolMode::kAvg ? sum_f / float(area)
                                          : sum_f;
    }
  }
}

__global__ void addKernel(Precision2 p, uint32_t steps, InputView a, InputView b, OutputView y) {
  const size_t total = size_t(steps) * y.n;
  const int32_t one = math::spikeActivation(p.frac_bits);
  for (size_t k = firstIndex(); k < total; k += strideAll()) {
    const uint32_t t = static_cast<uint32_t>(k / y.n), i = static_cast<uint32_t>(k % y.n);
    if (p.fixed) {
      y.q[k] = math::sat32(int64_t{fixedAt(a, t, i, one, p.frac_bits)} +
                           fixedAt(b, t, i, one, p.frac_bits));
    } else {
      y.f[k] = floatAt(a, t, i) + floatAt(b, t, i);
    }
  }
}

__global__ void toTokensKernel(TokensArgs a, InputView x, OutputView y) {
  const uint32_t n = a.g.channels * a.g.plane;
  const size_t total = size_t(a.steps) * n;
  for (size_t k = firstIndex(); k < total; k += strideAll()) {
    const uint32_t t = static_cast<uint32_t>(k / n), o = static_cast<uint32_t>(k % n);
    const uint32_t i = a.g.sourceOf(o);
    if (y.bits != nullptr) {
      if (spikeAt(x, t, i)) setSpike(y, t, o);
    } else if (y.q != nullptr) {
      y.q[k] = x.q[size_t(t) * n + i];
    } else {
      y.f[k] = x.f[size_t(t) * n + i];
    }
  }
}

__global__ void iandKernel(const uint64_t* a, const uint64_t* b, unsigned long long* y,
                           size_t words) {
  for (size_t k = firstIndex(); k < words; k += strideAll()) y[k] = ~a[k] & b[k];
}

}  // namespace

cudaError_t launchEncode(const EncodeArgs& a, InputView x, OutputView y, cudaStream_t s) {
  const size_t total = a.mode == EncodeMode::kLatency ? x.n : size_t(a.steps) * x.n;
  encodeKernel<<<blocksFor(total), kThreads, 0, s>>>(a, x, y);
  return cudaGetLastError();
}

cudaError_t launchLinear(const LinearArgs& a, InputView x, OutputView y, cudaStream_t s) {
  linearKernel<<<blocksFor(size_t(a.steps) * a.rows * a.out), kThreads, 0, s>>>(a, x, y);
  return cudaGetLastError();
}

cudaError_t launchConv2d(const ConvArgs& a, InputView x, OutputView y, cudaStream_t s) {
  const size_t total = size_t(a.steps) * a.g.cout * a.g.ho * a.g.wo;
  conv2dKernel<<<blocksFor(total), kThreads, 0, s>>>(a, x, y);
  return cudaGetLastError();
}

cudaError_t launchPool(const PoolArgs& a, InputView x, OutputView y, cudaStream_t s) {
  const size_t total = size_t(a.steps) * a.g.c * a.g.ho * a.g.wo;
  poolKernel<<<blocksFor(total), kThreads, 0, s>>>(a, x, y);
  return cudaGetLastError();
}

cudaError_t launchAdd(Precision2 p, uint32_t steps, InputView a, InputView b, OutputView y,
                      cudaStream_t s) {
  addKernel<<<blocksFor(size_t(steps) * y.n), kThreads, 0, s>>>(p, steps, a, b, y);
  return cudaGetLastError();
}

cudaError_t launchToTokens(const TokensArgs& a, InputView x, OutputView y, cudaStream_t s) {
  const size_t total = size_t(a.steps) * a.g.channels * a.g.plane;
  toTokensKernel<<<blocksFor(total), kThreads, 0, s>>>(a, x, y);
  return cudaGetLastError();
}

cudaError_t launchIand(const uint64_t* a, const uint64_t* b, unsigned long long* y, size_t words,
                       cudaStream_t s) {
  iandKernel<<<blocksFor(words), kThreads, 0, s>>>(a, b, y, words);
  return cudaGetLastError();
}

}  // namespace spikeline::hal::cuda
