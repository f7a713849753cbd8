#include "gateway/json_codec.h"

#include <cstring>

#include <nlohmann/json.hpp>

namespace spikeline::gateway {
namespace {

using nlohmann::json;

// Depth of nesting outside strings; stops counting past the limit. Runs before the parser so a
// hostile body never builds a deep tree.
bool tooDeep(std::string_view text) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

// Appends the leaves of nested arrays (row-major). REQUIRES: depth bounded by tooDeep().
Status flatten(const json& v, std::vector<float>& out) {
  if (v.is_array()) {
    for (const json& x : v) SPIKELINE_RETURN_IF_ERROR(flatten(x, out));
    return Status::ok();
  }
  if (v.is_boolean()) {
    out.push_back(v.get<bool>() ? 1.0f : 0.0f);
  } else if (v.is_number()) {
    out.push_back(v.get<float>());
  } else {
    return invalidArgument("tensor data holds a " + std::string(v.type_name()) +
                           "; expected numbers or booleans");
  }
  return Status::ok();
}

Result<size_t> elementSize(const std::string& dt) {
  if (dt == "BOOL" || dt == "UINT8" || dt == "INT8") return size_t{1};
  if (dt == "FP32" || dt == "INT32" || dt == "UINT32") return size_t{4};
  if (dt == "FP64" || dt == "INT64") return size_t{8};
  return invalidArgument("binary data of datatype " + dt + " is not accepted");
}

template <typename T>
void appendAs(std::string_view bytes, std::vector<float>& out) {
  for (size_t off = 0; off + sizeof(T) <= bytes.size(); off += sizeof(T)) {
    T v;
    std::memcpy(&v, bytes.data() + off, sizeof(T));
    out.push_back(static_cast<float>(v));
  }
}

Status decodeBinary(const std::string& dt, std::string_view bytes, std::vector<float>& out) {
  SPIKELINE_ASSIGN_OR_RETURN(size_t size, elementSize(dt));
  if (bytes.size() % size != 0) {
    return invalidArgument("binary_data_size " + std::to_string(bytes.size()) +
                           " is not a multiple of " + dt + "'s " + std::to_string(size) + " bytes");
  }
  if (dt == "FP32")
    appendAs<float>(bytes, out);
  else if (dt == "FP64")
    appendAs<double>(bytes, out);
  else if (dt == "INT32")
    appendAs<int32_t>(bytes, out);
  else if (dt == "UINT32")
    appendAs<uint32_t>(bytes, out);
  else if (dt == "INT64")
    appendAs<int64_t>(bytes, out);
  else if (dt == "INT8")
    appendAs<int8_t>(bytes, out);
  else
    appendAs<uint8_t>(bytes, out);  // UINT8, BOOL
  return Status::ok();
}

Status checkParameters(const json& p, const std::string& where) {
  if (!p.is_object()) return invalidArgument(where + ".parameters must be an object");
  for (const char* key : {"shared_memory_region", "classification", "sequence_id"}) {
    if (p.contains(key)) return unimplemented(where + ".parameters." + key + " is not supported");
  }
  return Status::ok();
}

Result<InferInput> parseInput(const json& j, size_t index, std::string_view& binary) {
  const std::string where = "inputs[" + std::to_string(index) + "]";
  if (!j.is_object()) return invalidArgument(where + " must be an object");
  InferInput in;
  if (!j.contains("name") || !j["name"].is_string())
    return invalidArgument(where + ".name is missing");
  in.name = j["name"].get<std::string>();
  if (!j.contains("datatype") || !j["datatype"].is_string())
    return invalidArgument(where + ".datatype is missing");
  in.datatype = j["datatype"].get<std::string>();
  if (!j.contains("shape") || !j["shape"].is_array())
    return invalidArgument(where + ".shape is missing");
  for (const json& d : j["shape"]) {
    if (!d.is_number_integer()) return invalidArgument(where + ".shape must hold integers");
    in.shape.push_back(d.get<int64_t>());
  }
  const json params = j.value("parameters", json::object());
  SPIKELINE_RETURN_IF_ERROR(checkParameters(params, where));
  if (params.contains("binary_data_size")) {
    if (!params["binary_data_size"].is_number_unsigned())
      return invalidArgument(where + ".parameters.binary_data_size must be a non-negative integer");
    const size_t n = params["binary_data_size"].get<size_t>();
    if (n > binary.size()) {
      return invalidArgument(where + ".parameters.binary_data_size " + std::to_string(n) +
                             " exceeds the " + std::to_string(binary.size()) +
                             " binary bytes left in the body");
    }
    SPIKELINE_RETURN_IF_ERROR(decodeBinary(in.datatype, binary.substr(0, n), in.data));
    binary.remove_prefix(n);
    return in;
  }
  if (!j.contains("data")) return invalidArgument(where + ".data is missing");
  SPIKELINE_RETURN_IF_ERROR(flatten(j["data"], in.data).withContext(where + ".data"));
  return in;
}

Result<InferRequest> parseDocument(const json& doc, std::string_view binary,
                                   const std::string& model_name,
                                   const std::string& model_version) {
  if (!doc.is_object()) return invalidArgument("the request body must be a JSON object");
  InferRequest r;
  r.model_name = model_name;
  r.model_version = model_version;
  if (doc.contains("id")) {
    if (!doc["id"].is_string()) return invalidArgument("id must be a string");
    r.id = doc["id"].get<std::string>();
  }
  const json params = doc.value("parameters", json::object());
  SPIKELINE_RETURN_IF_ERROR(checkParameters(params, "request"));
  if (params.contains("binary_data_output"))
    r.binary_data_output =
        params["binary_data_output"].is_boolean() && params["binary_data_output"].get<bool>();
  if (params.contains("timeout")) {
    if (!params["timeout"].is_number_unsigned())
      return invalidArgument("parameters.timeout must be a positive integer (ms)");
    r.timeout_ms = params["timeout"].get<int64_t>();
  }
  if (!doc.contains("inputs") || !doc["inputs"].is_array())
    return invalidArgument("inputs is missing or not an array");
  for (size_t i = 0; i < doc["inputs"].size(); ++i) {
    SPIKELINE_ASSIGN_OR_RETURN(InferInput in, parseInput(doc["inputs"][i], i, binary));
    r.inputs.push_back(std::move(in));
  }
  if (!binary.empty())
    return invalidArgument(
        std::to_string(binary.size()) +
        " binary bytes after the JSON are not claimed by any input's binary_data_size");
  for (const json& o : doc.value("outputs", json::array())) {
    if (!o.is_object() || !o.contains("name") || !o["name"].is_string())
      return invalidArgument("outputs[] needs a name");
    RequestedOutput out{o["name"].get<std::string>(), false};
    const json op = o.value("parameters", json::object());
    SPIKELINE_RETURN_IF_ERROR(checkParameters(op, "outputs[" + out.name + "]"));
    out.binary_data = op.value("binary_data", false);
    r.outputs.push_back(std::move(out));
  }
  return r;
}

// Never throws on invalid UTF-8 (an echoed id or a parser message quoting hostile bytes).
std::string dumpSafe(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json tensorMeta(const TensorMetadata& t) {
  return {{"name", t.name}, {"datatype", t.datatype}, {"shape", t.shape}};
}

}  // namespace

Result<InferRequest> parseInferRequest(std::string_view body, std::optional<size_t> json_length,
                                       const std::string& model_name,
                                       const std::string& model_version) {
  std::string_view text = body, binary;
  if (json_length) {
    if (*json_length > body.size()) {
      return invalidArgument("Inference-Header-Content-Length " + std::to_string(*json_length) +
                             " exceeds the body's " + std::to_string(body.size()) + " bytes");
    }
    text = body.substr(0, *json_length);
    binary = body.substr(*json_length);
  }
  if (tooDeep(text))
    return invalidArgument("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    try {  // once more with exceptions, only for the message (the error path)
      json ignored = json::parse(text.begin(), text.end());
      (void)ignored;
    } catch (const json::exception& e) {
      return invalidArgument(std::string("malformed JSON: ") + e.what());
    }
    return invalidArgument("malformed JSON");
  }
  try {
    return parseDocument(doc, binary, model_name, model_version);
  } catch (const json::exception& e) {  // a type mismatch the checks above missed
    return invalidArgument(std::string("invalid request: ") + e.what());
  }
}

void applyBinaryChoice(const InferRequest& request, InferResponse& response) {
  for (OutputTensor& o : response.outputs) {
    o.binary_data = request.binary_data_output;
    for (const RequestedOutput& r : request.outputs) {
      if (r.name == o.name) o.binary_data = r.binary_data;
    }
  }
}

EncodedBody encodeInferResponse(const InferResponse& response) {
  json outputs = json::array();
  std::string binary;
  for (const OutputTensor& o : response.outputs) {
    json t{{"name", o.name}, {"datatype", o.datatype}, {"shape", o.shape}};
    if (o.binary_data) {
      const size_t n = o.data.size() * sizeof(float);
      t["parameters"] = {{"binary_data_size", n}};
      binary.append(reinterpret_cast<const char*>(o.data.data()), n);
    } else {
      t["data"] = o.data;
    }
    outputs.push_back(std::move(t));
  }
  json doc{{"model_name", response.model_name},
           {"model_version", response.model_version},
           {"outputs", outputs}};
  if (!response.id.empty()) doc["id"] = response.id;
  if (!response.request_ids.empty()) {
    std::string ids;
    for (uint64_t id : response.request_ids) ids += (ids.empty() ? "" : ",") + std::to_string(id);
    doc["parameters"] = {{"spikeline_request_ids", ids}};
  }
  EncodedBody e;
  e.body = dumpSafe(doc);
  if (!binary.empty()) {
    e.json_length = e.body.size();
    e.body += binary;
    e.content_type = "application/octet-stream";
  }
  return e;
}

std::string encodeServerMetadata(const ServerMetadata& m) {
  return dumpSafe(json{{"name", m.name}, {"version", m.version}, {"extensions", m.extensions}});
}

std::string encodeModelMetadata(const ModelMetadata& m) {
  json in = json::array(), out = json::array();
  for (const auto& t : m.inputs) in.push_back(tensorMeta(t));
  for (const auto& t : m.outputs) out.push_back(tensorMeta(t));
  return dumpSafe(json{{"name", m.name},
                       {"versions", m.versions},
                       {"platform", m.platform},
                       {"inputs", in},
                       {"outputs", out}});
}

std::string encodeError(const std::string& message) { return dumpSafe(json{{"error", message}}); }

std::string encodeReadiness(const Readiness& r) {
  json j{{"ready", r.ready}};
  if (!r.ready) j["reason"] = r.reason;
  return dumpSafe(j);
}

}  // namespace spikeline::gateway
