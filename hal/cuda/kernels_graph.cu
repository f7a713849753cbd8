// graph_aggregate (gather over a node's incoming edges) and self_attention (exact spike-count
// products), one thread per output element.
#include "hal/cuda/cuda_kernels.h"

namespace spikeline::hal::cuda {
namespace {

constexpr unsigned kThreads = 256;

unsigned blocksFor(size_t total) {
  const size_t b = (total + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b == 0 ? 1 : (b > 65535u * 32u ? 65535u * 32u : b));
}

__global__ void graphKernel(GraphArgs a, InputView x, OutputView y) {
  const uint32_t n = a.nodes * a.features;
  const size_t total = size_t(a.steps) * n;
  const int32_t one = math::spikeActivation(a.p.frac_bits);
  for (size_t idx = size_t(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += size_t(gridDim.x) * blockDim.x) {
    const uint32_t t = uint32_t(idx / n), o = uint32_t(idx % n);
    const uint32_t v = o / a.features, k = o % a.features;
    if (a.p.fixed) {
      int64_t acc = 0;
      for (uint32_t e = a.row_ptr[v]; e < a.row_ptr[v + 1]; ++e) {
        acc += int64_t{a.wq[e]} * fixedAt(x, t, a.src[e] * a.features + k, one, a.p.frac_bits);
      }
      if (a.self_loops) acc += int64_t{fixedAt(x, t, o, one, a.p.frac_bits)} << a.shift;
      y.q[idx] = math::accToActivation(acc, a.shift, a.p.frac_bits, a.p.frac_bits, 0);
    } else {
      float acc = 0.0f;
      for (uint32_t e = a.row_ptr[v]; e < a.row_ptr[v + 1]; ++e) {
        acc += a.w[e] * floatAt(x, t, a.src[e] * a.features + k);
      }
      if (a.self_loops) acc += floatAt(x, t, o);
      y.f[idx] = acc;
    }
  }
}

__global__ void attentionKernel(AttentionArgs a, InputView q, InputView k, InputView v,
                                OutputView y) {
  const uint32_t n = a.tokens * a.dim, dh = a.dim / a.heads;
  const size_t total = size_t(a.steps) * n;
  for (size_t idx = size_t(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += size_t(gridDim.x) * blockDim.x) {
    const uint32_t t = uint32_t(idx / n), o = uint32_t(idx % n);
    const uint32_t i = o / a.dim, c = o % a.dim, d0 = (c / dh) * dh;
    int64_t count = 0;
    for (uint32_t j = 0; j < a.tokens; ++j) {
      if (!spikeAt(v, t, j * a.dim + c)) continue;
      for (uint32_t d = d0; d < d0 + dh; ++d) {
        count += (spikeAt(q, t, i * a.dim + d) && spikeAt(k, t, j * a.dim + d)) ? 1 : 0;
      }
    }
    if (a.p.fixed) {
      y.q[idx] = math::sat32(math::rescale(count * a.scale_q, math::kDecayBits, a.p.frac_bits));
    } else {
      y.f[idx] = float(count) * a.scale;
    }
  }
}

}  // namespace

cudaError_t launchGraph(const GraphArgs& a, InputView x, OutputView y, cudaStream_t s) {
  graphKernel<<<blocksFor(size_t(a.steps) * a.nodes * a.features), kThreads, 0, s>>>(a, x, y);
  return cudaGetLastError();
}

cudaError_t launchAttention(const AttentionArgs& a, InputView q, InputView k, InputView v,
                            OutputView y, cudaStream_t s) {
  attentionKernel<<<blocksFor(size_t(a.steps) * a.tokens * a.dim), kThreads, 0, s>>>(a, q, k, v, y);
  return cudaGetLastError();
}

}  // namespace spikeline::hal::cuda
