#include "gateway/model_io.h"

#include <cmath>
#include <string>

namespace spikeline::gateway {
namespace {

std::vector<int64_t> dimsOf(const Shape& s) {
  return std::vector<int64_t>(s.dims().begin(), s.dims().end());
}

// The per-item shape a request must carry: dense = input shape; spikes = [T, input shape...].
std::vector<int64_t> itemShape(const Topology& t) {
  std::vector<int64_t> dims = dimsOf(t.input_shape);
  if (t.input_encoding == InputEncoding::kSpikes) dims.insert(dims.begin(), t.timesteps);
  return dims;
}

Shape outputShape(const Topology& t) {
  return t.operators.empty() ? Shape{} : t.operators.back().output_shape;
}

std::string shapeText(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

bool acceptsDatatype(const Topology& t, const std::string& dt) {
  if (t.input_encoding == InputEncoding::kSpikes) return dt == "BOOL" || dt == "UINT8";
  return dt == "FP32" || dt == "FP64" || dt == "UINT8";
}

// True when `shape` is the dense sequence form [batch, T, input shape...] (T = the model's).
bool isDenseSequence(const Topology& t, const std::vector<int64_t>& shape) {
  return t.input_encoding == InputEncoding::kDense && t.timesteps > 1 &&
         shape.size() == t.input_shape.rank() + 2 && shape[1] == int64_t{t.timesteps};
}

// One frame from n values at `offset`: dense, `steps` timesteps (1: the encoder repeats it).
Result<Tensor> itemToFrame(const Topology& t, const InferInput& in, size_t offset, size_t n,
                           uint32_t steps) {
  if (t.input_encoding == InputEncoding::kDense) {
    std::vector<float> px(in.data.begin() + offset, in.data.begin() + offset + n);
    if (in.datatype == "UINT8") {
      for (float& p : px) p /= 255.0f;
    }
    for (float p : px) {
      if (!std::isfinite(p)) return invalidArgument("input 'input' holds a non-finite value");
    }
    return Tensor(DenseTensor(t.input_shape, steps, std::move(px)));
  }
  SpikeTensor spikes(t.input_shape, t.timesteps);
  const size_t per_step = t.input_shape.numel();
  for (size_t k = 0; k < n; ++k) {
    const float v = in.data[offset + k];
    if (v != 0.0f && v != 1.0f) return invalidArgument("spike input values must be 0 or 1");
    if (v == 1.0f)
      spikes.set(static_cast<uint32_t>(k / per_step), static_cast<uint32_t>(k % per_step));
  }
  return Tensor(std::move(spikes));
}

}  // namespace

ModelMetadata describeModel(const Topology& t) {
  ModelMetadata m;
  m.name = t.model.name;
  m.versions = {std::to_string(t.model.version)};
  std::vector<int64_t> in = itemShape(t);
  in.insert(in.begin(), -1);
  const bool dense = t.input_encoding == InputEncoding::kDense;
  m.inputs.push_back({kInputName, dense ? "FP32" : "BOOL", in});
  std::vector<int64_t> out = dimsOf(outputShape(t));
  out.insert(out.begin(), -1);
  m.outputs.push_back({kOutputName, "FP32", out});
  return m;
}

Status checkVersion(const Topology& t, const std::string& version) {
  if (version.empty() || version == std::to_string(t.model.version)) return Status::ok();
  return notFound("model '" + t.model.name + "' has no version '" + version + "' (serving " +
                  std::to_string(t.model.version) + ")");
}

bool isBatched(const Topology& t, const InferRequest& r) {
  return !r.inputs.empty() && r.inputs.front().shape.size() >= itemShape(t).size() + 1;
}

Result<std::vector<Tensor>> requestToFrames(const Topology& t, const InferRequest& r,
                                            uint32_t max_batch) {
  if (r.inputs.size() != 1) {
    return invalidArgument("expected exactly 1 input ('input'), got " +
                           std::to_string(r.inputs.size()));
  }
  const InferInput& in = r.inputs.front();
  if (in.name != kInputName)
    return invalidArgument("unknown input '" + in.name + "'; the model's input is 'input'");
  for (const RequestedOutput& o : r.outputs) {
    if (o.name != kOutputName)
      return invalidArgument("unknown output '" + o.name + "'; the model's output is 'output'");
  }
  if (!acceptsDatatype(t, in.datatype)) {
    return invalidArgument(
        "input 'input' has datatype " + in.datatype + "; the model takes " +
        (t.input_encoding == InputEncoding::kDense ? "FP32, FP64 or UINT8" : "BOOL or UINT8"));
  }
  std::vector<int64_t> item = itemShape(t);
  const bool sequence = isDenseSequence(t, in.shape);
  uint32_t steps = 1;
  if (sequence) {  // one value per timestep: [batch, T, input shape...]
    steps = t.timesteps;
    item.insert(item.begin(), int64_t{t.timesteps});
  }
  std::vector<int64_t> want = item;
  int64_t batch = 1;
  if (in.shape.size() == item.size() + 1) {
    batch = in.shape.front();
    want.insert(want.begin(), batch);
  }
  if (in.shape != want || batch < 1) {
    const std::string one = shapeText(itemShape(t));
    std::string forms = one + " or [batch, " + one.substr(1);
    if (t.input_encoding == InputEncoding::kDense && t.timesteps > 1) {
      forms += " or, one value per timestep, [batch, " + std::to_string(t.timesteps) + ", " +
               one.substr(1);
    }
    return invalidArgument("input 'input' has shape " + shapeText(in.shape) +
                           "; the model takes " + forms);
  }
  if (batch > static_cast<int64_t>(max_batch)) {
    return invalidArgument("batch " + std::to_string(batch) + " exceeds the limit " +
                           std::to_string(max_batch));
  }
  size_t n = 1;
  for (int64_t d : item) n *= static_cast<size_t>(d);
  if (in.data.size() != n * static_cast<size_t>(batch)) {
    return invalidArgument("input 'input' has " + std::to_string(in.data.size()) +
                           " elements; shape " + shapeText(in.shape) + " needs " +
                           std::to_string(n * static_cast<size_t>(batch)));
  }
  std::vector<Tensor> frames;
  frames.reserve(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) {
    SPIKELINE_ASSIGN_OR_RETURN(Tensor f, itemToFrame(t, in, static_cast<size_t>(b) * n, n, steps));
    frames.push_back(std::move(f));
  }
  return frames;
}

Result<OutputTensor> framesToOutput(const Topology& t, const std::vector<Tensor>& outputs,
                                    bool batched) {
  OutputTensor out;
  out.name = kOutputName;
  if (outputs.empty()) return internalError("no outputs");
  const Shape& shape = tensorShape(outputs.front());
  const float scale =
      t.precision == Precision::kFixed ? std::ldexp(1.0f, -static_cast<int>(t.frac_bits)) : 1.0f;
  for (const Tensor& o : outputs) {
    if (tensorShape(o) != shape) return internalError("batch outputs differ in shape");
    if (const auto* d = std::get_if<DenseTensor>(&o)) {
      if (d->dtype() == DType::kFloat32) {
        out.data.insert(out.data.end(), d->floats().begin(), d->floats().end());
      } else {
        for (int32_t v : d->ints()) out.data.push_back(static_cast<float>(v) * scale);
      }
    } else {
      const auto& s = std::get<SpikeTensor>(o);
      for (uint32_t ts = 0; ts < s.timesteps(); ++ts) {
        for (uint32_t i = 0; i < s.numNeurons(); ++i)
          out.data.push_back(s.get(ts, i) ? 1.0f : 0.0f);
      }
    }
  }
  const uint32_t steps = tensorTimesteps(outputs.front());
  std::vector<int64_t> dims = dimsOf(shape);
  if (steps > 1) dims.insert(dims.begin(), steps);
  if (batched) dims.insert(dims.begin(), static_cast<int64_t>(outputs.size()));
  out.shape = std::move(dims);
  return out;
}

}  // namespace spikeline::gateway
