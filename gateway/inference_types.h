// Inference values of the KServe Open Inference Protocol v2 as the gateway sees them, independent
// of REST/JSON or gRPC/protobuf: the adapters (json_codec, grpc_server) convert to and from these.
// Plain value types; no ownership beyond their members. Thread safety: as std containers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spikeline::gateway {

// One input tensor of a request. `data` holds the elements row-major as float whatever the
// datatype (BOOL and UINT8 are exact in float; FP64 is narrowed), already flattened.
struct InferInput {
  std::string name;
  std::string datatype;  // OIP name, e.g. "FP32", "UINT8", "BOOL"
  std::vector<int64_t> shape;
  std::vector<float> data;
  friend bool operator==(const InferInput&, const InferInput&) = default;
};

struct RequestedOutput {
  std::string name;
  bool binary_data = false;  // binary tensor data extension: `binary_data: true`
  friend bool operator==(const RequestedOutput&, const RequestedOutput&) = default;
};

struct InferRequest {
  std::string model_name;
  std::string model_version;  // "" = the newest version served
  std::string id;             // echoed in the response
  std::vector<InferInput> inputs;
  std::vector<RequestedOutput> outputs;  // empty = every output, JSON data
  bool binary_data_output = false;       // request parameter `binary_data_output`
  int64_t timeout_ms = 0;                // request parameter `timeout` (ms); 0 = the default
  friend bool operator==(const InferRequest&, const InferRequest&) = default;
};

struct OutputTensor {
  std::string name;
  std::string datatype = "FP32";
  std::vector<int64_t> shape;
  std::vector<float> data;
  bool binary_data = false;  // sent as binary tensor data (REST) / raw_output_contents (gRPC)
  friend bool operator==(const OutputTensor&, const OutputTensor&) = default;
};

struct InferResponse {
  std::string model_name;
  std::string model_version;
  std::string id;
  std::vector<OutputTensor> outputs;
  // The data plane's request id of each batch item (the rate encoder's seed depends on it):
  // reported as the response parameter `spikeline_request_ids` ("17,18,19").
  std::vector<uint64_t> request_ids;
  friend bool operator==(const InferResponse&, const InferResponse&) = default;
};

struct TensorMetadata {
  std::string name;
  std::string datatype;
  std::vector<int64_t> shape;  // -1 = variable (the batch dimension)
  friend bool operator==(const TensorMetadata&, const TensorMetadata&) = default;
};

struct ModelMetadata {
  std::string name;
  std::vector<std::string> versions;
  std::string platform = "spikeline";
  std::vector<TensorMetadata> inputs;
  std::vector<TensorMetadata> outputs;
  friend bool operator==(const ModelMetadata&, const ModelMetadata&) = default;
};

struct ServerMetadata {
  std::string name = "spikeline";
  std::string version;
  std::vector<std::string> extensions;
  friend bool operator==(const ServerMetadata&, const ServerMetadata&) = default;
};

// Ready or not, and why not (names the stage without a routed replica).
struct Readiness {
  bool ready = false;
  std::string reason;  // empty when ready
  friend bool operator==(const Readiness&, const Readiness&) = default;
};

}  // namespace spikeline::gateway
