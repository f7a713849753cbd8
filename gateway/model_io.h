// Model I/O: the pure conversions between OIP v2 tensors and the data plane's frames for one
// model (its core::Topology): metadata, request validation and batch fan-out, and the response
// tensor from the per-frame outputs. Stateless functions over values; thread-safe.
#pragma once

#include <vector>

#include "core/result.h"
#include "core/tensor.h"
#include "core/topology.h"
#include "gateway/inference_types.h"

namespace spikeline::gateway {

inline constexpr const char* kInputName = "input";
inline constexpr const char* kOutputName = "output";

// Name, version, platform "spikeline", one input and one output with a leading batch dimension
// of -1. Dense models take FP32 (or UINT8) `[-1, input shape...]`; spike models take BOOL
// `[-1, T, input shape...]`. The output is FP32 `[-1, last operator's output shape...]`.
ModelMetadata describeModel(const Topology& topology);

// The frames one request becomes: one per batch item, in order. The request must carry exactly
// the model's one input (by name), a datatype it takes (dense: FP32, FP64, UINT8 scaled by 1/255;
// spikes: BOOL, UINT8 with values 0/1), the model's shape with or without one leading batch
// dimension (batch 1..max_batch), and exactly shape-many elements. A dense model with T > 1 also
// takes one value per timestep, [batch, T, input shape...] (a sequence model such as the RNN
// that reads an image strip by strip); the one-step form is repeated over T by the encoder.
// Requested outputs must name the model's output. kInvalidArgument saying which of those failed.
Result<std::vector<Tensor>> requestToFrames(const Topology& topology, const InferRequest& request,
                                            uint32_t max_batch = 64);

// True when the request's input carries the leading batch dimension (every sequence form does).
bool isBatched(const Topology& topology, const InferRequest& request);

// One FP32 output tensor from the frames' outputs (in batch order): [batch, out...] when
// `batched`, else the output's own shape. Fixed-point (INT32) outputs are scaled by
// 2^-frac_bits, which is exact. kInternal when the outputs disagree in shape.
Result<OutputTensor> framesToOutput(const Topology& topology, const std::vector<Tensor>& outputs,
                                    bool batched);

// The version a request names: "" -> the topology's; otherwise it must equal it (kNotFound).
Status checkVersion(const Topology& topology, const std::string& version);

}  // namespace spikeline::gateway
