// ChipProgram: the emulator's image of one mapped operator: per-core synapse tables and neuron
// constants, and the step-by-step execution of every core's slice. Internal to hal/chip.
// Owned by the EmulatedChipDevice once loaded; run() is const (neuron state lives per call), so
// one program may run from several threads, but the device serialises runs anyway.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/operator_catalog.h"
#include "core/operator_spec.h"
#include "core/result.h"
#include "core/tensor.h"
#include "hal/backend.h"
#include "hal/chip/chip_device.h"

namespace spikeline::hal {

// What one run did on the cores (added to ChipCounters).
struct CoreActivity {
  uint64_t spikes_routed = 0;    // input events delivered, once per destination core
  uint64_t synaptic_events = 0;  // synapse entries applied
  uint64_t neuron_updates = 0;   // neuron-steps computed
};

class ChipProgram : public ChipImage {
 public:
  // Computes one frame: every core of the placement computes its neuron slice step by step.
  // Errors: kInvalidArgument (input count/shape/kind/dtype mismatch).
  virtual Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext& ctx,
                             CoreActivity& activity) const = 0;
};

// Whether the emulator has a core program for `kind`; otherwise the reason, for kUnimplemented.
bool chipRunsKind(std::string_view kind);
std::string chipKindUnsupportedReason(std::string_view kind);

// Builds the image of `spec` (fixed precision, validated; `sig` its output signature) over
// `placement`. kUnimplemented for a kind the chip cannot run.
Result<std::unique_ptr<ChipProgram>> buildChipProgram(const OperatorSpec& spec,
                                                      const OperatorSignature& sig,
                                                      const ChipPlacement& placement);

}  // namespace spikeline::hal
