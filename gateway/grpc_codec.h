// gRPC codec: conversions between the generated inference.* protobuf messages and the gateway's
// values. Private to gateway/ (its header names generated types; other modules never include
// it). Stateless functions; thread-safe.
#pragma once

#include "core/result.h"
#include "gateway/inference.pb.h"
#include "gateway/inference_types.h"

namespace spikeline::gateway {

// Inputs from `contents` (fp32/fp64/uint/int/bool) or `raw_input_contents` (one per input, in
// order; not both). kInvalidArgument for a mismatch; kUnimplemented for unsupported parameters.
Result<InferRequest> fromProto(const inference::ModelInferRequest& request);

// Outputs as raw_output_contents (little-endian FP32), as Triton answers.
void toProto(const InferResponse& response, inference::ModelInferResponse& out);

void toProto(const ModelMetadata& m, inference::ModelMetadataResponse& out);

}  // namespace spikeline::gateway
