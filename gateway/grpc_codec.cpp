#include "gateway/grpc_codec.h"

#include <cstring>
#include <string_view>

namespace spikeline::gateway {
namespace {

template <typename T>
void appendRaw(std::string_view bytes, std::vector<float>& out) {
  for (size_t off = 0; off + sizeof(T) <= bytes.size(); off += sizeof(T)) {
    T v;
    std::memcpy(&v, bytes.data() + off, sizeof(T));
    out.push_back(static_cast<float>(v));
  }
}

Status fromRaw(const std::string& dt, std::string_view bytes, std::vector<float>& out) {
  size_t size = 0;
  if (dt == "FP32" || dt == "INT32" || dt == "UINT32")
    size = 4;
  else if (dt == "FP64" || dt == "INT64")
    size = 8;
  else if (dt == "UINT8" || dt == "BOOL" || dt == "INT8")
    size = 1;
  else
    return invalidArgument("raw contents of datatype " + dt + " are not accepted");
  if (bytes.size() % size != 0)
    return invalidArgument("raw contents of " + std::to_string(bytes.size()) +
                           " bytes are not whole " + dt + " elements");
  if (dt == "FP32")
    appendRaw<float>(bytes, out);
  else if (dt == "FP64")
    appendRaw<double>(bytes, out);
  else if (dt == "INT32")
    appendRaw<int32_t>(bytes, out);
  else if (dt == "UINT32")
    appendRaw<uint32_t>(bytes, out);
  else if (dt == "INT64")
    appendRaw<int64_t>(bytes, out);
  else if (dt == "INT8")
    appendRaw<int8_t>(bytes, out);
  else
    appendRaw<uint8_t>(bytes, out);
  return Status::ok();
}

void fromContents(const inference::InferTensorContents& c, std::vector<float>& out) {
  for (float v : c.fp32_contents()) out.push_back(v);
  for (double v : c.fp64_contents()) out.push_back(static_cast<float>(v));
  for (uint32_t v : c.uint_contents()) out.push_back(static_cast<float>(v));
  for (int32_t v : c.int_contents()) out.push_back(static_cast<float>(v));
  for (int64_t v : c.int64_contents()) out.push_back(static_cast<float>(v));
  for (bool v : c.bool_contents()) out.push_back(v ? 1.0f : 0.0f);
}

Status checkParameters(const google::protobuf::Map<std::string, inference::InferParameter>& p) {
  for (const char* key : {"shared_memory_region", "classification", "sequence_id"}) {
    if (p.count(key) != 0)
      return unimplemented(std::string("parameter ") + key + " is not supported");
  }
  return Status::ok();
}

}  // namespace

Result<InferRequest> fromProto(const inference::ModelInferRequest& req) {
  InferRequest r;
  r.model_name = req.model_name();
  r.model_version = req.model_version();
  r.id = req.id();
  SPIKELINE_RETURN_IF_ERROR(checkParameters(req.parameters()));
  if (auto it = req.parameters().find("timeout"); it != req.parameters().end()) {
    r.timeout_ms = it->second.int64_param();
  }
  const bool raw = req.raw_input_contents_size() > 0;
  if (raw && req.raw_input_contents_size() != req.inputs_size()) {
    return invalidArgument(std::to_string(req.raw_input_contents_size()) +
                           " raw_input_contents for " + std::to_string(req.inputs_size()) +
                           " inputs");
  }
  for (int i = 0; i < req.inputs_size(); ++i) {
    const auto& t = req.inputs(i);
    SPIKELINE_RETURN_IF_ERROR(checkParameters(t.parameters()));
    InferInput in{t.name(), t.datatype(), {t.shape().begin(), t.shape().end()}, {}};
    if (raw) {
      if (t.has_contents())
        return invalidArgument("input '" + t.name() + "' has both contents and raw_input_contents");
      SPIKELINE_RETURN_IF_ERROR(fromRaw(t.datatype(), req.raw_input_contents(i), in.data));
    } else {
      fromContents(t.contents(), in.data);
    }
    r.inputs.push_back(std::move(in));
  }
  for (const auto& o : req.outputs()) {
    SPIKELINE_RETURN_IF_ERROR(checkParameters(o.parameters()));
    r.outputs.push_back({o.name(), true});
  }
  return r;
}

void toProto(const InferResponse& response, inference::ModelInferResponse& out) {
  out.set_model_name(response.model_name);
  out.set_model_version(response.model_version);
  out.set_id(response.id);
  if (!response.request_ids.empty()) {
    std::string ids;
    for (uint64_t id : response.request_ids) ids += (ids.empty() ? "" : ",") + std::to_string(id);
    (*out.mutable_parameters())["spikeline_request_ids"].set_string_param(ids);
  }
  for (const OutputTensor& o : response.outputs) {
    auto* t = out.add_outputs();
    t->set_name(o.name);
    t->set_datatype(o.datatype);
    for (int64_t d : o.shape) t->add_shape(d);
    out.add_raw_output_contents(
        std::string(reinterpret_cast<const char*>(o.data.data()), o.data.size() * sizeof(float)));
  }
}

void toProto(const ModelMetadata& m, inference::ModelMetadataResponse& out) {
  out.set_name(m.name);
  for (const auto& v : m.versions) out.add_versions(v);
  out.set_platform(m.platform);
  for (const auto& t : m.inputs) {
    auto* x = out.add_inputs();
    x->set_name(t.name);
    x->set_datatype(t.datatype);
    for (int64_t d : t.shape) x->add_shape(d);
  }
  for (const auto& t : m.outputs) {
    auto* x = out.add_outputs();
    x->set_name(t.name);
    x->set_datatype(t.datatype);
    for (int64_t d : t.shape) x->add_shape(d);
  }
}

}  // namespace spikeline::gateway
