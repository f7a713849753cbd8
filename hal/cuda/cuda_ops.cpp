// compileCudaOperator: validation (the CPU reference's rules), parameter parsing and
// quantisation through hal/op_params.h and hal/fixed_point.h, weight upload.
#include <string>
#include <vector>

#include "core/operator_catalog.h"
#include "hal/cuda/cuda_ops.h"
#include "hal/fixed_point.h"
#include "hal/op_params.h"
#include "hal/spec_validation.h"

namespace spikeline::hal::cuda {
namespace {

constexpr uint64_t kMaxFixedInputs = uint64_t{1} << 24;  // as the CPU reference

// Validates spec (hal/spec_validation.h); returns the spec with output_shape filled in.
Result<OperatorSpec> validate(const OperatorSpec& spec) {
  SPIKELINE_ASSIGN_OR_RETURN(OperatorSignature sig, validateSpec(spec));
  OperatorSpec out = spec;
  out.output_shape = sig.output_shape;
  return out;
}

// Uploads `v` into a buffer the operator owns and returns its device address.
// A null stream means "validate only": nothing is uploaded and the address is null.
template <typename T>
Result<const T*> upload(CudaOperator& op, const std::vector<T>& v, cudaStream_t stream) {
  if (stream == nullptr) return static_cast<const T*>(nullptr);
  DeviceBuffer buf;
  SPIKELINE_RETURN_IF_ERROR(buf.upload(v.data(), v.size() * sizeof(T), stream));
  SPIKELINE_RETURN_IF_ERROR(cudaStatus(cudaStreamSynchronize(stream), "uploading weights"));
  const T* p = buf.as<T>();
  op.weights.push_back(std::move(buf));
  return p;
}

// Dense weights of linear/conv2d: float as given, or int8 + shift and int32 bias (fixed).
template <typename Args>
Status uploadDense(CudaOperator& op, const DenseWeights& w, Args& a, cudaStream_t stream) {
  if (op.precision.fixed) {
    const FixedWeights q = quantizeDenseWeights(w, op.spec_.frac_bits);
    a.shift = q.weight.shift;
    SPIKELINE_ASSIGN_OR_RETURN(a.wq, upload(op, q.weight.values, stream));
    SPIKELINE_ASSIGN_OR_RETURN(a.bias_q, upload(op, q.bias_q, stream));
  } else {
    SPIKELINE_ASSIGN_OR_RETURN(a.w, upload(op, w.weight, stream));
    SPIKELINE_ASSIGN_OR_RETURN(a.bias, upload(op, w.bias, stream));
  }
  return Status::ok();
}

Status compileNeuron(CudaOperator& op, cudaStream_t stream) {
  const OperatorSpec& spec = op.spec_;
  SPIKELINE_ASSIGN_OR_RETURN(NeuronConfig c, neuronConfig(spec));
  NeuronArgs& a = op.neuron;
  a.p = op.precision;
  a.leaky = c.leaky;
  a.lif = c.lif;
  a.lif_q = c.lif_q;
  a.if_f = c.if_f;
  a.if_q = c.if_q;
  a.n = static_cast<uint32_t>(spec.input_shape.numel());
  if (spec.kind != "recurrent_lif") return Status::ok();
  op.family = Family::kRecurrent;
  SPIKELINE_ASSIGN_OR_RETURN(const WeightTensor* rec, recurrentWeights(spec));
  if (op.precision.fixed) {
    const QuantizedWeights q = quantizeWeights(rec->values);
    a.shift = q.shift;
    SPIKELINE_ASSIGN_OR_RETURN(a.w_rec_q, upload(op, q.values, stream));
  } else {
    SPIKELINE_ASSIGN_OR_RETURN(a.w_rec, upload(op, rec->values, stream));
  }
  return Status::ok();
}

Status compileNirNeuron(CudaOperator& op, cudaStream_t stream) {
  const OperatorSpec& spec = op.spec_;
  SPIKELINE_ASSIGN_OR_RETURN(NirNeuronConfig c, nirNeuronConfig(spec));
  NirNeuronArgs& a = op.nir;
  a.p = op.precision;
  a.f = c.f;
  a.q = c.q;
  a.n = static_cast<uint32_t>(spec.input_shape.numel());
  if (!c.recurrent) return Status::ok();
  op.family = Family::kNirRecurrent;
  SPIKELINE_ASSIGN_OR_RETURN(const WeightTensor* rec, recurrentWeights(spec));
  if (op.precision.fixed) {
    const QuantizedWeights q = quantizeWeights(rec->values);
    a.shift = q.shift;
    SPIKELINE_ASSIGN_OR_RETURN(a.w_rec_q, upload(op, q.values, stream));
  } else {
    SPIKELINE_ASSIGN_OR_RETURN(a.w_rec, upload(op, rec->values, stream));
  }
  return Status::ok();
}

Status compileScale(CudaOperator& op, cudaStream_t stream) {
  SPIKELINE_ASSIGN_OR_RETURN(std::vector<float> w, scaleWeights(op.spec_));
  ScaleArgs& a = op.scale;
  a.p = op.precision;
  a.n = static_cast<uint32_t>(op.spec_.input_shape.numel());
  if (op.precision.fixed) {
    const QuantizedWeights q = quantizeWeights(w);
    a.shift = q.shift;
    SPIKELINE_ASSIGN_OR_RETURN(a.wq, upload(op, q.values, stream));
  } else {
    SPIKELINE_ASSIGN_OR_RETURN(a.w, upload(op, w, stream));
  }
  return Status::ok();
}

Status compileEncoder(CudaOperator& op) {
  EncodeArgs& a = op.encode;
  a.p = op.precision;
  if (op.spec_.kind == "encode_rate") {
    SPIKELINE_ASSIGN_OR_RETURN(RateConfig c, rateConfig(op.spec_));
    a.mode = EncodeMode::kRate;
    a.seed = c.seed;
    a.gain = c.gain;
    a.gain_q = c.gain_q;
  } else if (op.spec_.kind == "encode_latency") {
    SPIKELINE_ASSIGN_OR_RETURN(LatencyConfig c, latencyConfig(op.spec_));
    a.mode = EncodeMode::kLatency;
    a.threshold = c.threshold;
    a.threshold_q = c.threshold_q;
  }
  return Status::ok();
}

Status compileGraph(CudaOperator& op, cudaStream_t stream) {
  SPIKELINE_ASSIGN_OR_RETURN(GraphConfig c, graphConfig(op.spec_));
  GraphArgs& a = op.graph;
  a.p = op.precision;
  a.nodes = c.nodes;
  a.features = c.features;
  a.self_loops = c.self_loops;
  a.shift = c.weight_q.shift;
  SPIKELINE_ASSIGN_OR_RETURN(a.row_ptr, upload(op, c.row_ptr, stream));
  SPIKELINE_ASSIGN_OR_RETURN(a.src, upload(op, c.src, stream));
  if (op.precision.fixed) {
    SPIKELINE_ASSIGN_OR_RETURN(a.wq, upload(op, c.weight_q.values, stream));
  } else {
    SPIKELINE_ASSIGN_OR_RETURN(a.w, upload(op, c.weight, stream));
  }
  return Status::ok();
}

Status compileAttention(CudaOperator& op) {
  SPIKELINE_ASSIGN_OR_RETURN(AttentionConfig c, attentionConfig(op.spec_));
  op.attention = {
      op.precision, op.spec_.input_shape[0], op.spec_.input_shape[1], c.heads, 0, c.scale,
      c.scale_q};
  return Status::ok();
}

Status compileFamily(CudaOperator& op, cudaStream_t stream) {
  const OperatorSpec& spec = op.spec_;
  const std::string& k = spec.kind;
  if (k.rfind("encode_", 0) == 0) {
    op.family = Family::kEncode;
    return compileEncoder(op);
  }
  if (k == "linear") {
    op.family = Family::kLinear;
    SPIKELINE_ASSIGN_OR_RETURN(LinearLayout layout, linearLayout(spec));
    SPIKELINE_ASSIGN_OR_RETURN(DenseWeights w, linearWeights(spec));
    if (op.precision.fixed && layout.in > kMaxFixedInputs) {
      return unimplemented("inputs: fixed linear supports at most 2^24 inputs per output");
    }
    op.linear.p = op.precision;
    op.linear.rows = layout.rows;
    op.linear.in = layout.in;
    op.linear.out = layout.out;
    return uploadDense(op, w, op.linear, stream);
  }
  if (k == "conv2d" || k == "conv1d") {
    // conv1d runs as the conv2d it rewrites to; op.spec_ keeps [C, L] -> [Cout, Lo], the same
    // elements in the same order.
    op.family = Family::kConv2d;
    OperatorSpec as2d;
    if (k == "conv1d") {
      SPIKELINE_ASSIGN_OR_RETURN(as2d, conv1dAsConv2d(spec));
    }
    const OperatorSpec& s2 = k == "conv1d" ? as2d : spec;
    SPIKELINE_ASSIGN_OR_RETURN(op.conv.g, convGeometry(s2));
    SPIKELINE_ASSIGN_OR_RETURN(DenseWeights w, conv2dWeights(s2));
    op.conv.p = op.precision;
    return uploadDense(op, w, op.conv, stream);
  }
  if (isNirNeuronKind(k)) {
    op.family = Family::kNirNeuron;
    return compileNirNeuron(op, stream);
  }
  if (k == "delay") {
    op.family = Family::kDelay;
    SPIKELINE_ASSIGN_OR_RETURN(op.delay.delay, delaySteps(spec));
    return Status::ok();
  }
  if (k == "scale") {
    op.family = Family::kScale;
    return compileScale(op, stream);
  }
  if (k == "lif" || k == "if" || k == "recurrent_lif") {
    op.family = Family::kNeuron;
    return compileNeuron(op, stream);
  }
  if (k == "maxpool2d" || k == "avgpool2d" || k == "sumpool2d") {
    op.family = Family::kPool;
    SPIKELINE_ASSIGN_OR_RETURN(op.pool.g, poolGeometry(spec));
    op.pool.p = op.precision;
    op.pool.mode = k == "maxpool2d"   ? PoolMode::kMax
                   : k == "avgpool2d" ? PoolMode::kAvg
                                      : PoolMode::kSum;
    return Status::ok();
  }
  if (k == "readout") {
    op.family = Family::kReadout;
    SPIKELINE_ASSIGN_OR_RETURN(ReadoutConfig c, readoutConfig(spec));
    op.readout = {op.precision,
                  c.membrane,
                  c.lif,
                  c.lif_q,
                  static_cast<uint32_t>(spec.input_shape.numel()),
                  0};
    return Status::ok();
  }
  if (k == "graph_aggregate") {
    op.family = Family::kGraph;
    return compileGraph(op, stream);
  }
  if (k == "self_attention") {
    op.family = Family::kAttention;
    return compileAttention(op);
  }
  if (k == "to_tokens") {
    op.family = Family::kToTokens;
    SPIKELINE_ASSIGN_OR_RETURN(op.tokens.g, tokenGeometry(spec));
    return Status::ok();
  }
  if (k == "flatten" || k == "add" || k == "iand") {
    op.family = k == "flatten" ? Family::kFlatten : k == "add" ? Family::kAdd : Family::kIand;
    return Status::ok();
  }
  return unimplemented("kind: the cuda backend has no kernel for \"" + k + "\"");
}

}  // namespace

Status checkCudaOperator(const OperatorSpec& spec) {
  return compileCudaOperator(spec, nullptr).status();
}

Result<std::unique_ptr<CudaOperator>> compileCudaOperator(const OperatorSpec& spec,
                                                          cudaStream_t stream) {
  SPIKELINE_ASSIGN_OR_RETURN(OperatorSpec checked, validate(spec));
  auto op = std::make_unique<CudaOperator>();
  if (stream != nullptr)
    SPIKELINE_RETURN_IF_ERROR(cudaStatus(cudaGetDevice(&op->device), "cudaGetDevice"));
  op->spec_ = std::move(checked);
  op->precision = {op->spec_.precision == Precision::kFixed, static_cast<int>(op->spec_.frac_bits)};
  SPIKELINE_RETURN_IF_ERROR(compileFamily(*op, stream));
  return op;
}

}  // namespace spikeline::hal::cuda
