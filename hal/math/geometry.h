// Plain geometry of windowed operators (conv2d, pooling) and of to_tokens, and the index
// arithmetic every backend shares. Values built on the host from OperatorSpec params
// (hal/op_params.h); header-only, host and device; safe from any thread.
#pragma once

#include <stdint.h>

#include "hal/math/hd.h"

namespace spikeline::hal::math {

// Output length of a window sweep: floor((in + 2*pad - dil*(k-1) - 1) / stride) + 1, or 0 when
// the window does not fit.
SPIKELINE_HD inline uint32_t windowOutputSize(uint32_t in, uint32_t k, uint32_t stride,
                                              uint32_t pad, uint32_t dil) {
  const int64_t span = int64_t{dil} * (int64_t{k} - 1) + 1;
  const int64_t room = int64_t{in} + 2 * int64_t{pad} - span;
  if (room < 0 || stride == 0) return 0;
  return static_cast<uint32_t>(room / stride + 1);
}

// conv2d over [Cin, H, W] -> [Cout, Ho, Wo] with kernel (Cout, Cin/groups, kH, kW).
struct ConvGeometry {
  uint32_t cin = 0, h = 0, w = 0;
  uint32_t cout = 0, ho = 0, wo = 0;
  uint32_t kh = 1, kw = 1;
  uint32_t stride_h = 1, stride_w = 1;
  uint32_t pad_h = 0, pad_w = 0;
  uint32_t dil_h = 1, dil_w = 1;
  uint32_t groups = 1;

  SPIKELINE_HD uint32_t cinPerGroup() const { return cin / groups; }
  SPIKELINE_HD uint32_t coutPerGroup() const { return cout / groups; }
  // The output coordinate that input coordinate `in` reaches through kernel tap `k`, or -1 when
  // it falls between strides or outside the output. Used by the event-driven scatter.
  SPIKELINE_HD static int64_t outputIndex(uint32_t in, uint32_t k, uint32_t stride, uint32_t pad,
                                          uint32_t dil, uint32_t out_size) {
    const int64_t num = int64_t{in} + pad - int64_t{k} * dil;
    if (num < 0 || num % stride != 0) return -1;
    const int64_t o = num / stride;
    return o < out_size ? o : -1;
  }
};

// 2-D pooling over [C, H, W] -> [C, Ho, Wo]; padding cells count as absent for max and as zero
// for avg/sum (avg divides by kH*kW, PyTorch's count_include_pad=True).
struct PoolGeometry {
  uint32_t c = 0, h = 0, w = 0;
  uint32_t ho = 0, wo = 0;
  uint32_t kh = 1, kw = 1;
  uint32_t stride_h = 1, stride_w = 1;
  uint32_t pad_h = 0, pad_w = 0;
};

// to_tokens over [C, H, W] -> [H*W, C]: output element o = p * C + c (token p = h * W + w, channel
// c) copies input element c * (H*W) + p.
struct TokenGeometry {
  uint32_t channels = 0;  // C
  uint32_t plane = 0;     // H * W: tokens

  SPIKELINE_HD uint32_t sourceOf(uint32_t o) const { return (o % channels) * plane + o / channels; }
  SPIKELINE_HD uint32_t targetOf(uint32_t i) const { return (i % plane) * channels + i / plane; }
};

}  // namespace spikeline::hal::math
