// Builders of the emulator's per-kind core programs (internal to hal/chip): each validates the
// spec's parameters with hal/op_params.h, quantises with hal/fixed_point.h, and lays the
// operator out over the placement's core slices. Thread safety: stateless functions.
#pragma once

#include <memory>

#include "core/operator_catalog.h"
#include "core/operator_spec.h"
#include "core/result.h"
#include "hal/chip/chip_device.h"
#include "hal/chip/chip_program.h"

namespace spikeline::hal {

using ProgramResult = Result<std::unique_ptr<ChipProgram>>;

// chip_synaptic.cpp: synapse tables (CSR for linear, shared kernels for conv2d and conv1d, the
// latter through conv1dAsConv2d).
ProgramResult buildLinearProgram(const OperatorSpec& spec, const OperatorSignature& sig,
                                 const ChipPlacement& placement);
ProgramResult buildConv2dProgram(const OperatorSpec& spec, const OperatorSignature& sig,
                                 const ChipPlacement& placement);

// chip_graph.cpp: graph_aggregate (edge lists shared by a node's features).
ProgramResult buildGraphProgram(const OperatorSpec& spec, const OperatorSignature& sig,
                                const ChipPlacement& placement);

// chip_neurons.cpp: lif, if, recurrent_lif (recurrent synapse table), readout.
ProgramResult buildNeuronProgram(const OperatorSpec& spec, const OperatorSignature& sig,
                                 const ChipPlacement& placement);
ProgramResult buildRecurrentLifProgram(const OperatorSpec& spec, const OperatorSignature& sig,
                                       const ChipPlacement& placement);
ProgramResult buildReadoutProgram(const OperatorSpec& spec, const OperatorSignature& sig,
                                  const ChipPlacement& placement);
// li, integrator, cuba_li, cuba_lif (recurrent synapse table when weights.recurrent), threshold.
ProgramResult buildNirNeuronProgram(const OperatorSpec& spec, const OperatorSignature& sig,
                                    const ChipPlacement& placement);

// chip_nir.cpp: delay (axonal delay line, no synapses), scale (one synapse per neuron).
ProgramResult buildDelayProgram(const OperatorSpec& spec, const OperatorSignature& sig,
                                const ChipPlacement& placement);
ProgramResult buildScaleProgram(const OperatorSpec& spec, const OperatorSignature& sig,
                                const ChipPlacement& placement);

// chip_elementwise.cpp: encoders, pooling; chip_combine.cpp: flatten, to_tokens, add, iand (no
// synapses).
ProgramResult buildEncoderProgram(const OperatorSpec& spec, const OperatorSignature& sig,
                                  const ChipPlacement& placement);
ProgramResult buildPoolProgram(const OperatorSpec& spec, const OperatorSignature& sig,
                               const ChipPlacement& placement);
ProgramResult buildElementwiseProgram(const OperatorSpec& spec, const OperatorSignature& sig,
                                      const ChipPlacement& placement);

}  // namespace spikeline::hal
