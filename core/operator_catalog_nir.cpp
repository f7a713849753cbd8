// The catalog checks of the kinds the NIR importer maps primitives onto: the non-spiking and
// current-based neurons (li, integrator, cuba_li, cuba_lif), threshold, delay, scale and conv1d.
// Equations: docs/operators.md.
#include "core/operator_catalog_checks.h"

namespace spikeline::catalog_detail {
namespace {

Status positiveParam(const Ctx& c, std::string_view name, double fallback, bool required) {
  double v = 0;
  if (required) {
    SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDouble(name), name, v));
  } else {
    SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDoubleOr(name, fallback), name, v));
  }
  return requirePositive(name, v);
}

Status realParam(const Ctx& c, std::string_view name, double fallback) {
  double v = 0;
  return param(c.spec.params.getDoubleOr(name, fallback), name, v);
}

Status resetParams(const Ctx& c) {
  double v = 0;
  SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDouble("v_threshold"), "v_threshold", v));
  SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDoubleOr("v_reset", 0.0), "v_reset", v));
  std::string reset;
  SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getStringOr("reset", "value"), "reset", reset));
  if (reset != "value" && reset != "subtract") {
    return fieldError("params.reset", "must be \"value\" or \"subtract\", got \"" + reset + "\"");
  }
  return Status::ok();
}

// One integer parameter (or a list of one integer, NIR's tuple form) >= min.
Status oneIntParam(const Params& p, std::string_view name, int64_t fallback, int64_t min,
                   int64_t& out) {
  const std::string field = "params." + std::string(name);
  out = fallback;
  if (p.has(name)) {
    if (Result<int64_t> one = p.getInt(name); one.isOk()) {
      out = *one;
    } else if (Result<std::vector<int64_t>> list = p.getIntList(name);
               list.isOk() && list->size() == 1) {
      out = (*list)[0];
    } else {
      return fieldError(field, "must be an integer or a list of 1 integer");
    }
  }
  if (out < min)
    return fieldError(field, "must be >= " + std::to_string(min) + ", got " + std::to_string(out));
  return Status::ok();
}

}  // namespace

// li, integrator, cuba_li, cuba_lif: dense or spike input of any shape, output of the same
// shape (the membrane, dense; cuba_lif: spikes).
Result<OperatorSignature> checkNirNeuron(const Ctx& c) {
  const std::string& k = c.spec.kind;
  if (k == "integrator") {
    SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {"r", "dt"}, {}));
    SPIKELINE_RETURN_IF_ERROR(realParam(c, "r", 1.0));
    SPIKELINE_RETURN_IF_ERROR(positiveParam(c, "dt", 1e-3, false));
    return sameAsInput(c, ValueKind::kDense);
  }
  if (k == "li") {
    SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {"tau", "r", "v_leak", "dt"}, {}));
    SPIKELINE_RETURN_IF_ERROR(positiveParam(c, "tau", 0.0, true));
  } else if (k == "cuba_li") {
    SPIKELINE_RETURN_IF_ERROR(
        checkKnownNames(c, {"tau_syn", "tau_mem", "r", "v_leak", "w_in", "dt"}, {}));
  } else {  // cuba_lif
    SPIKELINE_RETURN_IF_ERROR(checkKnownNames(
        c, {"tau_syn", "tau_mem", "r", "v_leak", "w_in", "dt", "v_threshold", "v_reset", "reset"},
        {"recurrent"}));
  }
  if (k != "li") {
    SPIKELINE_RETURN_IF_ERROR(positiveParam(c, "tau_syn", 0.0, true));
    SPIKELINE_RETURN_IF_ERROR(positiveParam(c, "tau_mem", 0.0, true));
    SPIKELINE_RETURN_IF_ERROR(realParam(c, "w_in", 1.0));
  }
  SPIKELINE_RETURN_IF_ERROR(realParam(c, "r", 1.0));
  SPIKELINE_RETURN_IF_ERROR(realParam(c, "v_leak", 0.0));
  SPIKELINE_RETURN_IF_ERROR(positiveParam(c, "dt", 1e-3, false));
  if (k != "cuba_lif") return sameAsInput(c, ValueKind::kDense);
  SPIKELINE_RETURN_IF_ERROR(resetParams(c));
  const uint32_t n = uint32_t(c.shapes[0].numel());
  SPIKELINE_RETURN_IF_ERROR(weightShape(c, "recurrent", Shape{n, n}, false));
  return sameAsInput(c, ValueKind::kSpikes);
}

// threshold: y = x > v_threshold, stateless.
Result<OperatorSignature> checkThreshold(const Ctx& c) {
  SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {"v_threshold"}, {}));
  double v = 0;
  SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getDouble("v_threshold"), "v_threshold", v));
  return sameAsInput(c, ValueKind::kSpikes);
}

// delay: y[t] = x[t - steps]; value kind kept.
Result<OperatorSignature> checkDelay(const Ctx& c) {
  SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {"steps"}, {}));
  int64_t steps = 0;
  SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getInt("steps"), "steps", steps));
  if (steps < 0) return fieldError("params.steps", "must be >= 0, got " + std::to_string(steps));
  return sameAsInput(c, c.kinds[0]);
}

// scale: y = scale ⊙ x, the weight shaped like the input (or [numel]).
Result<OperatorSignature> checkScale(const Ctx& c) {
  SPIKELINE_RETURN_IF_ERROR(checkKnownNames(c, {}, {"scale"}));
  auto w = c.spec.weights.find("scale");
  if (w == c.spec.weights.end()) {
    return fieldError("weights.scale",
                      "required for scale, expected shape " + c.shapes[0].toString());
  }
  const Shape& ws = w->second.shape;
  if (ws != c.shapes[0] && ws != Shape{uint32_t(c.shapes[0].numel())}) {
    return fieldError("weights.scale", "has shape " + ws.toString() + ", expected " +
                                           c.shapes[0].toString() + " (the input's) or [" +
                                           std::to_string(c.shapes[0].numel()) + "]");
  }
  return sameAsInput(c, ValueKind::kDense);
}

// conv1d: [C, L] -> [Cout, Lo], conv2d on [C, 1, L] with a [Cout, Cin/groups, 1, k] kernel.
Result<OperatorSignature> checkConv1d(const Ctx& c) {
  SPIKELINE_RETURN_IF_ERROR(
      checkKnownNames(c, {"stride", "padding", "dilation", "groups"}, {"weight", "bias"}));
  SPIKELINE_RETURN_IF_ERROR(requireRank(c, 0, 2, "[C, L]"));
  auto w = c.spec.weights.find("weight");
  if (w == c.spec.weights.end()) return fieldError("weights.weight", "required for conv1d");
  const Shape& ws = w->second.shape;
  if (ws.rank() != 3)
    return fieldError("weights.weight",
                      "must have rank 3 (Cout, Cin/groups, k), got " + ws.toString());
  if (ws.numel() == 0)
    return fieldError("weights.weight", "must not be empty, got " + ws.toString());
  int64_t stride = 1, padding = 0, dilation = 1, groups = 1;
  SPIKELINE_RETURN_IF_ERROR(oneIntParam(c.spec.params, "stride", 1, 1, stride));
  SPIKELINE_RETURN_IF_ERROR(oneIntParam(c.spec.params, "padding", 0, 0, padding));
  SPIKELINE_RETURN_IF_ERROR(oneIntParam(c.spec.params, "dilation", 1, 1, dilation));
  SPIKELINE_RETURN_IF_ERROR(param(c.spec.params.getIntOr("groups", 1), "groups", groups));
  const int64_t cin = c.shapes[0][0], cout = ws[0];
  if (groups < 1 || cin % groups != 0 || cout % groups != 0) {
    return fieldError("params.groups", "must be >= 1 and divide both input channels (" +
                                           std::to_string(cin) + ") and output channels (" +
                                           std::to_string(cout) + "), got " +
                                           std::to_string(groups));
  }
  if (int64_t(ws[1]) * groups != cin) {
    return fieldError("weights.weight", "shape " + ws.toString() + " expects " +
                                            std::to_string(int64_t(ws[1]) * groups) +
                                            " input channels, input has " + std::to_string(cin));
  }
  SPIKELINE_RETURN_IF_ERROR(weightShape(c, "bias", Shape{ws[0]}, false));
  const int64_t in = c.shapes[0][1], span = dilation * (int64_t(ws[2]) - 1) + 1;
  if (in + 2 * padding < span) {
    return fieldError(
        "weights.weight",
        "kernel " + ws.toString() + " is larger than the padded input " + c.shapes[0].toString());
  }
  const int64_t out = (in + 2 * padding - span) / stride + 1;
  return OperatorSignature{Shape{uint32_t(cout), uint32_t(out)}, ValueKind::kDense, true};
}

}  // namespace spikeline::catalog_detail
