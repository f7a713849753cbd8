// JSON codec: the REST side of OIP v2 (the nlohmann-json adapter; no JSON type leaves it):
// request bodies -> InferRequest, including the binary tensor data extension, and every REST
// response body. Hostile input (malformed, truncated, deeply nested, lying lengths) is an error
// value, never an exception or a crash. Stateless functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "gateway/inference_types.h"

namespace spikeline::gateway {

inline constexpr int kMaxJsonDepth = 32;  // objects/arrays nested deeper are rejected (400)

// Parses an infer request body for `model_name`/`model_version` (from the URL). With
// `json_length` (the Inference-Header-Content-Length header), the first json_length bytes are
// JSON and the rest holds the binary tensor data of inputs that name `binary_data_size`, in
// input order. kInvalidArgument saying what is wrong (with the JSON error's byte offset);
// kUnimplemented for extensions that are not supported (shared memory, classification).
Result<InferRequest> parseInferRequest(std::string_view body, std::optional<size_t> json_length,
                                       const std::string& model_name,
                                       const std::string& model_version);

struct EncodedBody {
  std::string body;
  std::optional<size_t> json_length;  // set when binary data follows the JSON
  std::string content_type = "application/json";
};

// {model_name, model_version, id, outputs}; outputs marked binary_data go after the JSON.
EncodedBody encodeInferResponse(const InferResponse& response);

std::string encodeServerMetadata(const ServerMetadata& m);
std::string encodeModelMetadata(const ModelMetadata& m);
// {"error": message}.
std::string encodeError(const std::string& message);
// {"ready": bool} plus {"reason": ...} when not ready.
std::string encodeReadiness(const Readiness& r);

// Marks the response's outputs binary as the request asked (binary_data_output or per output).
void applyBinaryChoice(const InferRequest& request, InferResponse& response);

}  // namespace spikeline::gateway
