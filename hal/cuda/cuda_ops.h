// CudaOperator: one operator compiled for the CUDA backend (internal to hal/cuda): the validated
// spec, its kernel arguments, and its weights in device memory (uploaded at compile). Plus the
// per-stream scratch a run uses. Ownership: the operator owns its weight buffers; a StreamSlot
// owns its stream's scratch. Thread safety: a CudaOperator is immutable after compile and may run
// on several streams at once; a StreamSlot is used by one run at a time.
#pragma once

#include <cuda_runtime.h>

#include <memory>
#include <span>
#include <vector>

#include "core/operator_spec.h"
#include "core/result.h"
#include "core/tensor.h"
#include "hal/backend.h"
#include "hal/cuda/cuda_kernels.h"
#include "hal/cuda/cuda_runtime_util.h"

namespace spikeline::hal::cuda {

enum class Family : uint8_t {
  kEncode,
  kLinear,
  kConv2d,
  kNeuron,
  kRecurrent,
  kPool,
  kFlatten,
  kAdd,
  kIand,
  kReadout,
  kGraph,
  kAttention,
  kToTokens,
  kNirNeuron,
  kNirRecurrent,
  kDelay,
  kScale
};

// Device scratch of one stream, grown to the largest frame seen (activations; weights live in
// the operators).
struct StreamSlot {
  cudaStream_t stream = nullptr;
  DeviceBuffer in[3];
  DeviceBuffer out;
  DeviceBuffer state;  // recurrent_lif membranes; cuba_lif (recurrent) currents and membranes
};

// A compiled record: fields are set by compileCudaOperator and read-only afterwards.
class CudaOperator final : public CompiledOperator {
 public:
  CudaOperator() = default;
  // Makes the owning device current so the weight buffers are freed on it (any thread).
  ~CudaOperator() override {
    if (!weights.empty()) (void)cudaSetDevice(device);
  }
  CudaOperator(const CudaOperator&) = delete;
  CudaOperator& operator=(const CudaOperator&) = delete;

  const OperatorSpec& spec() const override { return spec_; }

  OperatorSpec spec_;  // validated; output_shape filled in
  Family family = Family::kFlatten;
  Precision2 precision;
  const void* backend = nullptr;  // identity of the compiling backend (run() checks it)
  int device = 0;                 // CUDA ordinal the weights live on
  EncodeArgs encode;
  LinearArgs linear;
  ConvArgs conv;
  NeuronArgs neuron;
  PoolArgs pool;
  ReadoutArgs readout;
  GraphArgs graph;
  AttentionArgs attention;
  TokensArgs tokens;
  NirNeuronArgs nir;
  DelayArgs delay;
  ScaleArgs scale;
  std::vector<DeviceBuffer> weights;  // owned; the args above point into them
};

// Validates `spec` like the CPU reference, quantises (fixed) and uploads the weights on `stream`
// (synchronised before returning); a null stream validates only (no CUDA call, null weights).
// Errors: kInvalidArgument, kNotFound (unknown kind), kUnimplemented (sizes beyond the
// exact-integer limits), kResourceExhausted (device memory), kUnavailable (device lost).
Result<std::unique_ptr<CudaOperator>> compileCudaOperator(const OperatorSpec& spec,
                                                          cudaStream_t stream);

// compileCudaOperator(spec, nullptr).status(): every compile error except device ones.
Status checkCudaOperator(const OperatorSpec& spec);

// Runs one frame on the slot's stream and waits for it. Errors: kInvalidArgument (inputs),
// kUnavailable (device lost), kResourceExhausted (device memory), kInternal.
Result<Tensor> runCudaOperator(const CudaOperator& op, std::span<const Tensor* const> inputs,
                               const RunContext& ctx, StreamSlot& slot);

}  // namespace spikeline::hal::cuda
