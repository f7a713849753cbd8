#include "hal/spec_validation.h"

#include <string>
#include <vector>

namespace spikeline::hal {

ValueKind compileTimeInputKind(const OperatorSpec& spec) {
  if (spec.kind == "iand" || spec.kind == "self_attention") return ValueKind::kSpikes;
  if (spec.kind == "readout") {
    Result<std::string> mode = spec.params.getStringOr("mode", "spike_count");
    return mode.isOk() && *mode == "membrane" ? ValueKind::kDense : ValueKind::kSpikes;
  }
  return ValueKind::kDense;
}

Result<OperatorSignature> validateSpec(const OperatorSpec& spec) {
  if (spec.precision == Precision::kFixed && spec.frac_bits > kMaxFracBits) {
    return invalidArgument("frac_bits: must be <= " + std::to_string(kMaxFracBits) + ", got " +
                           std::to_string(spec.frac_bits));
  }
  if (!isKnownOperatorKind(spec.kind)) {
    return notFound("kind: unknown operator kind \"" + spec.kind + "\"");
  }
  const size_t n = operatorInputCount(spec.kind);
  const std::vector<Shape> shapes(n, spec.input_shape);
  const std::vector<ValueKind> kinds(n, compileTimeInputKind(spec));
  SPIKELINE_ASSIGN_OR_RETURN(OperatorSignature sig, inferOperator(spec, shapes, kinds));
  if (spec.output_shape.rank() != 0 && spec.output_shape != sig.output_shape) {
    return invalidArgument("output_shape: declared " + spec.output_shape.toString() + ", " +
                           spec.kind + " produces " + sig.output_shape.toString());
  }
  return sig;
}

}  // namespace spikeline::hal
