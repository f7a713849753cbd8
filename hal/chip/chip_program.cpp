#include "hal/chip/chip_program.h"

#include <string>

#include "hal/chip/chip_programs.h"

namespace spikeline::hal {
namespace {

using Builder = ProgramResult (*)(const OperatorSpec&, const OperatorSignature&,
                                  const ChipPlacement&);

struct KindEntry {
  std::string_view kind;
  Builder build;
};

constexpr KindEntry kKinds[] = {
    {"encode_direct", &buildEncoderProgram},
    {"encode_rate", &buildEncoderProgram},
    {"encode_latency", &buildEncoderProgram},
    {"linear", &buildLinearProgram},
    {"conv2d", &buildConv2dProgram},
    {"lif", &buildNeuronProgram},
    {"if", &buildNeuronProgram},
    {"recurrent_lif", &buildRecurrentLifProgram},
    {"maxpool2d", &buildPoolProgram},
    {"avgpool2d", &buildPoolProgram},
    {"sumpool2d", &buildPoolProgram},
    {"flatten", &buildElementwiseProgram},
    {"add", &buildElementwiseProgram},
    {"iand", &buildElementwiseProgram},
    {"readout", &buildReadoutProgram},
    {"graph_aggregate", &buildGraphProgram},
    {"to_tokens", &buildElementwiseProgram},
    {"li", &buildNirNeuronProgram},
    {"integrator", &buildNirNeuronProgram},
    {"cuba_li", &buildNirNeuronProgram},
    {"cuba_lif", &buildNirNeuronProgram},
    {"threshold", &buildNirNeuronProgram},
    {"delay", &buildDelayProgram},
    {"scale", &buildScaleProgram},
    {"conv1d", &buildConv2dProgram},
};

const KindEntry* findKind(std::string_view kind) {
  for (const KindEntry& e : kKinds) {
    if (e.kind == kind) return &e;
  }
  return nullptr;
}

}  // namespace

bool chipRunsKind(std::string_view kind) { return findKind(kind) != nullptr; }

std::string chipKindUnsupportedReason(std::string_view kind) {
  if (kind == "self_attention") {
    return "self_attention is not supported on the chip: its Q K^T product multiplies two "
           "run-time spike tensors, and a core can only multiply spikes by stored synapse weights";
  }
  return std::string(kind) + " has no core program on the emulated chip";
}

Result<std::unique_ptr<ChipProgram>> buildChipProgram(const OperatorSpec& spec,
                                                      const OperatorSignature& sig,
                                                      const ChipPlacement& placement) {
  const KindEntry* entry = findKind(spec.kind);
  if (entry == nullptr) return unimplemented(chipKindUnsupportedReason(spec.kind));
  return entry->build(spec, sig, placement);
}

}  // namespace spikeline::hal
