// Compile-time parsing of the kinds NIR primitives map onto: the NIR neurons (li, integrator,
// cuba_li, cuba_lif, threshold), delay, scale and conv1d (rewritten as conv2d).
#include <string>

#include "hal/op_params.h"
#include "hal/op_params_detail.h"

namespace spikeline::hal {
namespace {

using namespace op_params_detail;  // NOLINT: the shared lookups

// The spiking part of cuba_lif: threshold, reset value and mode, as lif quantises them.
Status spikeParams(const OperatorSpec& spec, NirNeuronConfig& c) {
  const int f = static_cast<int>(spec.frac_bits);
  SPIKELINE_ASSIGN_OR_RETURN(double th, doubleParam(spec.params, "v_threshold", std::nullopt));
  SPIKELINE_ASSIGN_OR_RETURN(double v_reset, doubleParam(spec.params, "v_reset", 0.0));
  Result<std::string> reset = spec.params.getStringOr("reset", "value");
  if (!reset.isOk() || (*reset != "value" && *reset != "subtract")) {
    return fieldError("params.reset", "must be \"value\" or \"subtract\"");
  }
  c.f.spiking = c.q.spiking = true;
  c.f.mem.v_threshold = float(th);
  c.f.mem.v_reset = float(v_reset);
  c.f.mem.subtract = c.q.mem.subtract = *reset == "subtract";
  c.q.mem.v_threshold_q = math::toActivation(th, f);
  c.q.mem.v_reset_q = math::toActivation(v_reset, f);
  return Status::ok();
}

}  // namespace

bool isNirNeuronKind(std::string_view kind) {
  return kind == "li" || kind == "integrator" || kind == "cuba_li" || kind == "cuba_lif" ||
         kind == "threshold";
}

Result<NirNeuronConfig> nirNeuronConfig(const OperatorSpec& spec) {
  const Params& p = spec.params;
  const std::string& k = spec.kind;
  const int f = static_cast<int>(spec.frac_bits);
  if (!isNirNeuronKind(k)) return invalidArgument("kind: \"" + k + "\" is not a NIR neuron kind");
  NirNeuronConfig c;
  if (k == "threshold") {
    SPIKELINE_ASSIGN_OR_RETURN(double th, doubleParam(p, "v_threshold", std::nullopt));
    c.f.membrane = c.q.membrane = math::MembraneMode::kPass;
    c.f.spiking = c.q.spiking = true;
    c.f.mem.v_threshold = float(th);
    c.q.mem.v_threshold_q = math::toActivation(th, f);
    return c;
  }
  SPIKELINE_ASSIGN_OR_RETURN(double dt, positiveParam(p, "dt", 1e-3));
  SPIKELINE_ASSIGN_OR_RETURN(double r, doubleParam(p, "r", 1.0));
  if (k == "integrator") {
    c.f.membrane = c.q.membrane = math::MembraneMode::kIntegrate;
    c.f.mem.alpha = float(dt);
    c.f.mem.r = float(r);
    c.q.mem.decay_q = 0;
    c.q.mem.gain_q = quantizeDecay(r * dt);
    c.q.mem.v_leak_q = 0;
    return c;
  }
  SPIKELINE_ASSIGN_OR_RETURN(double v_leak, doubleParam(p, "v_leak", 0.0));
  SPIKELINE_ASSIGN_OR_RETURN(double tau_mem,
                             positiveParam(p, k == "li" ? "tau" : "tau_mem", std::nullopt));
  const double alpha = dt / tau_mem;
  c.f.membrane = c.q.membrane = math::MembraneMode::kLeaky;
  c.f.mem.alpha = float(alpha);
  c.f.mem.r = float(r);
  c.f.mem.v_leak = float(v_leak);
  c.q.mem.decay_q = quantizeDecay(alpha);
  c.q.mem.gain_q = quantizeDecay(r * alpha);
  c.q.mem.v_leak_q = math::toActivation(v_leak, f);
  if (k == "li") return c;
  SPIKELINE_ASSIGN_OR_RETURN(double tau_syn, positiveParam(p, "tau_syn", std::nullopt));
  SPIKELINE_ASSIGN_OR_RETURN(double w_in, doubleParam(p, "w_in", 1.0));
  const double alpha_syn = dt / tau_syn;
  c.f.synapse = c.q.synapse = true;
  c.f.syn.alpha = float(alpha_syn);
  c.f.syn.r = float(w_in);
  c.f.syn.v_leak = 0.0f;
  c.q.syn.decay_q = quantizeDecay(alpha_syn);
  c.q.syn.gain_q = quantizeDecay(w_in * alpha_syn);
  c.q.syn.v_leak_q = 0;
  if (k == "cuba_li") return c;
  SPIKELINE_RETURN_IF_ERROR(spikeParams(spec, c));
  c.recurrent = findWeight(spec, "recurrent") != nullptr;
  if (c.recurrent) SPIKELINE_RETURN_IF_ERROR(recurrentWeights(spec).status());
  return c;
}

Result<uint32_t> delaySteps(const OperatorSpec& spec) {
  Result<int64_t> steps = spec.params.getInt("steps");
  if (!steps.isOk()) return fieldError("params.steps", steps.status().message());
  if (*steps < 0 || *steps > (int64_t{1} << 20)) {
    return fieldError("params.steps", "must be in [0, 2^20], got " + std::to_string(*steps));
  }
  return static_cast<uint32_t>(*steps);
}

Result<std::vector<float>> scaleWeights(const OperatorSpec& spec) {
  const WeightTensor* w = findWeight(spec, "scale");
  SPIKELINE_RETURN_IF_ERROR(checkWeight(w, "scale", spec.input_shape.numel()));
  return w->values;
}

Result<OperatorSpec> conv1dAsConv2d(const OperatorSpec& spec) {
  const WeightTensor* w = findWeight(spec, "weight");
  if (w == nullptr || w->shape.rank() != 3) {
    return fieldError("weights.weight", "conv1d needs a weight of rank 3 (Cout, Cin/g, k)");
  }
  if (spec.input_shape.rank() != 2) {
    return fieldError("input_shape", "conv1d needs [C, L], got " + spec.input_shape.toString());
  }
  OperatorSpec s = spec;
  s.kind = "conv2d";
  s.input_shape = Shape{spec.input_shape[0], 1, spec.input_shape[1]};
  s.weights["weight"].shape = Shape{w->shape[0], w->shape[1], 1, w->shape[2]};
  if (spec.output_shape.rank() == 2) {
    s.output_shape = Shape{spec.output_shape[0], 1, spec.output_shape[1]};
  } else {
    s.output_shape = Shape();
  }
  for (const char* name : {"stride", "padding", "dilation"}) {
    if (!spec.params.has(name)) continue;
    int64_t v = 0;
    if (Result<int64_t> one = spec.params.getInt(name); one.isOk()) {
      v = *one;
    } else if (Result<std::vector<int64_t>> list = spec.params.getIntList(name);
               list.isOk() && list->size() == 1) {
      v = (*list)[0];
    } else {
      return fieldError("params." + std::string(name), "must be an integer or a list of 1");
    }
    const int64_t outer = std::string_view(name) == "padding" ? 0 : 1;
    s.params.set(name, std::vector<int64_t>{outer, v});
  }
  return s;
}

}  // namespace spikeline::hal
