// runCudaOperator: input checks (the CPU reference's rules), upload, launch, download.
#include <string>
#include <vector>

#include "hal/cuda/cuda_ops.h"

namespace spikeline::hal::cuda {
namespace {

enum class Accepts : uint8_t { kSpikes, kDense, kEither };

Status checkOne(const CudaOperator& op, const Tensor* x, size_t i, Accepts rule, bool allow_float) {
  const OperatorSpec& spec = op.spec_;
  const std::string where = "inputs: " + spec.kind + " input " + std::to_string(i);
  if (x == nullptr) return invalidArgument(where + " is null");
  if (tensorShape(*x) != spec.input_shape) {
    return invalidArgument(where + " has shape " + tensorShape(*x).toString() + ", compiled for " +
                           spec.input_shape.toString());
  }
  if (tensorTimesteps(*x) == 0) return invalidArgument(where + " has no timesteps");
  if (isSpikes(*x)) {
    if (rule == Accepts::kDense)
      return invalidArgument(where + " must be dense values, got spikes");
    return Status::ok();
  }
  if (rule == Accepts::kSpikes) return invalidArgument(where + " must be spikes, got dense values");
  const DType want = op.precision.fixed ? DType::kInt32 : DType::kFloat32;
  const DType got = std::get<DenseTensor>(*x).dtype();
  if (got != want && !(allow_float && got == DType::kFloat32)) {
    return invalidArgument(where + (op.precision.fixed ? " must be int32 values (fixed precision)"
                                                       : " must be float32 values"));
  }
  return Status::ok();
}

Status checkInputs(const CudaOperator& op, std::span<const Tensor* const> inputs) {
  std::vector<Accepts> rules{Accepts::kEither};
  bool allow_float = false;
  switch (op.family) {
    case Family::kEncode:
      rules = {Accepts::kDense};
      allow_float = true;
      break;
    case Family::kNeuron:
    case Family::kRecurrent:
      rules = {Accepts::kDense};
      break;
    case Family::kAdd:
      rules = {Accepts::kEither, Accepts::kEither};
      break;
    case Family::kIand:
      rules = {Accepts::kSpikes, Accepts::kSpikes};
      break;
    case Family::kReadout:
      rules = {op.readout.membrane ? Accepts::kDense : Accepts::kSpikes};
      break;
    case Family::kAttention:
      rules = {Accepts::kSpikes, Accepts::kSpikes, Accepts::kSpikes};
      break;
    default:
      break;
  }
  if (inputs.size() != rules.size()) {
    return invalidArgument("inputs: " + op.spec_.kind + " takes " + std::to_string(rules.size()) +
                           " input(s), got " + std::to_string(inputs.size()));
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    SPIKELINE_RETURN_IF_ERROR(checkOne(op, inputs[i], i, rules[i], allow_float));
    if (tensorTimesteps(*inputs[i]) != tensorTimesteps(*inputs[0])) {
      return invalidArgument("inputs: " + op.spec_.kind + " inputs have different T");
    }
  }
  return Status::ok();
}

Result<InputView> uploadInput(const Tensor& x, DeviceBuffer& buf, cudaStream_t s) {
  InputView v;
  v.n = static_cast<uint32_t>(tensorShape(x).numel());
  if (const auto* sp = std::get_if<SpikeTensor>(&x)) {
    SPIKELINE_RETURN_IF_ERROR(buf.upload(sp->words().data(), sp->words().size_bytes(), s));
    v.bits = buf.as<const uint64_t>();
    v.words = sp->wordsPerStep();
    return v;
  }
  const auto& d = std::get<DenseTensor>(x);
  if (d.dtype() == DType::kFloat32) {
    SPIKELINE_RETURN_IF_ERROR(buf.upload(d.floats().data(), d.floats().size_bytes(), s));
    v.f = buf.as<const float>();
  } else {
    SPIKELINE_RETURN_IF_ERROR(buf.upload(d.ints().data(), d.ints().size_bytes(), s));
    v.q = buf.as<const int32_t>();
  }
  return v;
}

// The host tensor a run fills, and the device view the kernel writes.
struct Output {
  Tensor host;
  OutputView view;
};

Result<Output> prepareOutput(bool spikes, const Shape& shape, uint32_t steps, bool fixed,
                             DeviceBuffer& buf, cudaStream_t s) {
  Output o;
  o.view.n = static_cast<uint32_t>(shape.numel());
  if (spikes) {
    SpikeTensor t(shape, steps);
    o.view.words = t.wordsPerStep();
    const size_t bytes = t.words().size_bytes();
    o.host = std::move(t);
    SPIKELINE_RETURN_IF_ERROR(buf.reserve(bytes));
    SPIKELINE_RETURN_IF_ERROR(
        cudaStatus(cudaMemsetAsync(buf.as<void>(), 0, bytes, s), "cudaMemsetAsync"));
    o.view.bits = buf.as<unsigned long long>();
    return o;
  }
  DenseTensor t(shape, steps, fixed ? DType::kInt32 : DType::kFloat32);
  SPIKELINE_RETURN_IF_ERROR(buf.reserve(t.size() * 4));
  o.view.f = fixed ? nullptr : buf.as<float>();
  o.view.q = fixed ? buf.as<int32_t>() : nullptr;
  o.host = std::move(t);
  return o;
}

Status download(Output& o, const DeviceBuffer& buf, cudaStream_t s) {
  void* dst = nullptr;
  size_t bytes = 0;
  if (auto* sp = std::get_if<SpikeTensor>(&o.host)) {
    dst = sp->mutableWords().data();
    bytes = sp->mutableWords().size_bytes();
  } else {
    auto& d = std::get<DenseTensor>(o.host);
    dst = d.dtype() == DType::kInt32 ? static_cast<void*>(d.mutableInts().data())
                                     : static_cast<void*>(d.mutableFloats().data());
    bytes = d.size() * 4;
  }
  if (bytes > 0) {
    SPIKELINE_RETURN_IF_ERROR(
        cudaStatus(cudaMemcpyAsync(dst, buf.as<void>(), bytes, cudaMemcpyDeviceToHost, s),
                   "cudaMemcpyAsync to host"));
  }
  return cudaStatus(cudaStreamSynchronize(s), "cudaStreamSynchronize after " + std::string("run"));
}

// Output steps of an encoder: RunContext::timesteps for a one-step input (CPU reference rule).
Result<uint32_t> encoderSteps(const CudaOperator& op, uint32_t t_in, const RunContext& ctx) {
  if (ctx.timesteps == 0) return t_in;
  if (t_in != 1 && t_in != ctx.timesteps) {
    return invalidArgument("inputs: " + op.spec_.kind + " input has T = " + std::to_string(t_in) +
                           ", expected 1 or the model's T = " + std::to_string(ctx.timesteps));
  }
  return ctx.timesteps;
}

}  // namespace

namespace {

bool outputIsSpikes(const CudaOperator& op, const Tensor& x0) {
  switch (op.family) {
    case Family::kEncode:
      return op.encode.mode != EncodeMode::kDirect;
    case Family::kNeuron:
    case Family::kRecurrent:
    case Family::kIand:
      return true;
    case Family::kNirNeuron:
    case Family::kNirRecurrent:
      return op.nir.f.spiking;
    case Family::kDelay:
      return isSpikes(x0);
    case Family::kPool:
      return op.pool.mode == PoolMode::kMax && isSpikes(x0);
    case Family::kToTokens:
      return isSpikes(x0);
    default:
      return false;
  }
}

Status launchRecurrent(const CudaOperator& op, uint32_t steps, InputView x, OutputView y,
                       StreamSlot& slot) {
  NeuronArgs a = op.neuron;
  a.steps = steps;
  const size_t bytes = size_t(a.n) * 4;
  SPIKELINE_RETURN_IF_ERROR(slot.state.reserve(bytes));
  SPIKELINE_RETURN_IF_ERROR(cudaStatus(
      cudaMemsetAsync(slot.state.as<void>(), 0, bytes, slot.stream), "cudaMemsetAsync membranes"));
  a.v_f = op.precision.fixed ? nullptr : slot.state.as<float>();
  a.v_q = op.precision.fixed ? slot.state.as<int32_t>() : nullptr;
  for (uint32_t t = 0; t < steps; ++t) {
    SPIKELINE_RETURN_IF_ERROR(
        cudaStatus(launchRecurrentStep(a, t, x, y, slot.stream), "recurrent_lif step"));
  }
  return Status::ok();
}

Status launchNirRecurrent(const CudaOperator& op, uint32_t steps, InputView x, OutputView y,
                          StreamSlot& slot) {
  NirNeuronArgs a = op.nir;
  a.steps = steps;
  const size_t bytes = size_t(a.n) * 4;
  SPIKELINE_RETURN_IF_ERROR(slot.state.reserve(2 * bytes));
  SPIKELINE_RETURN_IF_ERROR(
      cudaStatus(cudaMemsetAsync(slot.state.as<void>(), 0, 2 * bytes, slot.stream),
                 "cudaMemsetAsync currents and membranes"));
  if (op.precision.fixed) {
    a.i_q = slot.state.as<int32_t>();
    a.v_q = a.i_q + a.n;
  } else {
    a.i_f = slot.state.as<float>();
    a.v_f = a.i_f + a.n;
  }
  for (uint32_t t = 0; t < steps; ++t) {
    SPIKELINE_RETURN_IF_ERROR(
        cudaStatus(launchNirRecurrentStep(a, t, x, y, slot.stream), op.spec_.kind + " step"));
  }
  return Status::ok();
}

Status launchFamily(const CudaOperator& op, uint32_t t_in, uint32_t steps, const RunContext& ctx,
                    const InputView* in, OutputView y, StreamSlot& slot) {
  cudaStream_t s = slot.stream;
  const InputView& a = in[0];
  const InputView& b = in[1];
  switch (op.family) {
    case Family::kEncode: {
      EncodeArgs e = op.encode;
      e.t_in = t_in;
      e.steps = steps;
      e.request_id = ctx.request_id;
      return cudaStatus(launchEncode(e, a, y, s), op.spec_.kind);
    }
    case Family::kLinear: {
      LinearArgs l = op.linear;
      l.steps = steps;
      return cudaStatus(launchLinear(l, a, y, s), "linear");
    }
    case Family::kConv2d: {
      ConvArgs c = op.conv;
      c.steps = steps;
      return cudaStatus(launchConv2d(c, a, y, s), "conv2d");
    }
    case Family::kNeuron: {
      NeuronArgs n = op.neuron;
      n.steps = steps;
      return cudaStatus(launchNeurons(n, a, y, s), op.spec_.kind);
    }
    case Family::kRecurrent:
      return launchRecurrent(op, steps, a, y, slot);
    case Family::kPool: {
      PoolArgs p = op.pool;
      p.steps = steps;
      return cudaStatus(launchPool(p, a, y, s), op.spec_.kind);
    }
    case Family::kAdd:
      return cudaStatus(launchAdd(op.precision, steps, a, b, y, s), "add");
    case Family::kIand:
      return cudaStatus(launchIand(a.bits, b.bits, y.bits, size_t(a.words) * steps, s), "iand");
    case Family::kReadout: {
      ReadoutArgs r = op.readout;
      r.steps = steps;
      return cudaStatus(launchReadout(r, a, y, s), "readout");
    }
    case Family::kGraph: {
      GraphArgs g = op.graph;
      g.steps = steps;
      return cudaStatus(launchGraph(g, a, y, s), "graph_aggregate");
    }
    case Family::kAttention: {
      AttentionArgs at = op.attention;
      at.steps = steps;
      return cudaStatus(launchAttention(at, a, b, in[2], y, s), "self_attention");
    }
    case Family::kToTokens: {
      TokensArgs k = op.tokens;
      k.steps = steps;
      return cudaStatus(launchToTokens(k, a, y, s), "to_tokens");
    }
    case Family::kNirNeuron: {
      NirNeuronArgs n = op.nir;
      n.steps = steps;
      return cudaStatus(launchNirNeurons(n, a, y, s), op.spec_.kind);
    }
    case Family::kNirRecurrent:
      return launchNirRecurrent(op, steps, a, y, slot);
    case Family::kDelay: {
      DelayArgs d = op.delay;
      d.steps = steps;
      return cudaStatus(launchDelay(d, a, y, s), "delay");
    }
    case Family::kScale: {
      ScaleArgs sc = op.scale;
      sc.steps = steps;
      return cudaStatus(launchScale(sc, a, y, s), "scale");
    }
    case Family::kFlatten:
      break;
  }
  return internalError("cuda: no launcher for " + op.spec_.kind);
}

// flatten relabels the shape; the values do not change, so no kernel runs.
Tensor flattenOnHost(const Tensor& x) {
  const Shape flat{static_cast<uint32_t>(tensorShape(x).numel())};
  if (const auto* s = std::get_if<SpikeTensor>(&x)) {
    SpikeTensor out(flat, s->timesteps());
    std::copy(s->words().begin(), s->words().end(), out.mutableWords().begin());
    return out;
  }
  const auto& d = std::get<DenseTensor>(x);
  if (d.dtype() == DType::kFloat32) {
    return DenseTensor(flat, d.timesteps(),
                       std::vector<float>(d.floats().begin(), d.floats().end()));
  }
  return DenseTensor(flat, d.timesteps(), std::vector<int32_t>(d.ints().begin(), d.ints().end()));
}

}  // namespace

Result<Tensor> runCudaOperator(const CudaOperator& op, std::span<const Tensor* const> inputs,
                               const RunContext& ctx, StreamSlot& slot) {
  SPIKELINE_RETURN_IF_ERROR(checkInputs(op, inputs));
  const Tensor& x0 = *inputs[0];
  if (op.family == Family::kFlatten) return flattenOnHost(x0);
  const uint32_t t_in = tensorTimesteps(x0);
  uint32_t steps = t_in;
  if (op.family == Family::kEncode) {
    SPIKELINE_ASSIGN_OR_RETURN(steps, encoderSteps(op, t_in, ctx));
  }
  InputView in[3];
  for (size_t i = 0; i < inputs.size() && i < 3; ++i) {
    SPIKELINE_ASSIGN_OR_RETURN(in[i], uploadInput(*inputs[i], slot.in[i], slot.stream));
  }
  const uint32_t out_steps = op.family == Family::kReadout ? 1 : steps;
  SPIKELINE_ASSIGN_OR_RETURN(Output out,
                             prepareOutput(outputIsSpikes(op, x0), op.spec_.output_shape, out_steps,
                                           op.precision.fixed, slot.out, slot.stream));
  SPIKELINE_RETURN_IF_ERROR(launchFamily(op, t_in, steps, ctx, in, out.view, slot));
  SPIKELINE_RETURN_IF_ERROR(download(out, slot.out, slot.stream));
  return std::move(out.host);
}

}  // namespace spikeline::hal::cuda
