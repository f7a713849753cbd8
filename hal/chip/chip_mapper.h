// Chip mapping as pure functions over values: how an operator's synapses are stored on a core
// (Connectivity), how its output neurons are cut into per-core slices, and which cores get them.
// No state; the emulated ChipDevice calls these from compile(). Thread safety: stateless.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/operator_spec.h"
#include "core/result.h"
#include "core/shape.h"
#include "hal/chip/chip_config.h"
#include "hal/chip/chip_device.h"

namespace spikeline::hal {

enum class SynapseLayout : uint8_t {
  kNone = 0,          // no synapses: neurons only (lif, li, delay, pooling, add, ...)
  kDense = 1,         // every neuron stores fan_in entries (linear: its row's `in` inputs;
                      // recurrent_lif, cuba_lif with recurrent: every neuron; scale: 1)
  kSharedKernel = 2,  // one kernel of fan_in entries per output channel (conv2d / conv1d weight
                      // sharing)
  kSharedRows = 3,    // one row of varying length per group of neurons (graph_aggregate: a
                      // node's edge list, shared by its features)
};

struct Connectivity {
  SynapseLayout layout = SynapseLayout::kNone;
  uint32_t neurons = 0;              // output neurons per timestep
  uint32_t fan_in = 0;               // synapses into one neuron
  uint32_t neurons_per_kernel = 1;   // kSharedKernel/kSharedRows: neurons sharing one kernel
                                     // (conv: Ho * Wo; graph: features)
  std::vector<uint64_t> row_prefix;  // kSharedRows: entries of rows [0, r) (size rows + 1)
  friend bool operator==(const Connectivity&, const Connectivity&) = default;
};

struct NeuronRange {
  uint32_t begin = 0;
  uint32_t end = 0;
  friend bool operator==(const NeuronRange&, const NeuronRange&) = default;
};

// Synapse entries a core needs to hold neurons [begin, end): kDense fan_in * (end - begin);
// kSharedKernel fan_in * (number of kernels the range touches); kSharedRows the lengths of the
// rows the range touches; kNone 0.
uint64_t sliceSynapseEntries(const Connectivity& c, uint32_t begin, uint32_t end);

// How `spec` (already validated, `output` its per-timestep output shape) is stored on a chip.
// kUnimplemented for a kind without a chip mapping.
Result<Connectivity> connectivityOf(const OperatorSpec& spec, const Shape& output);

// Cuts the neurons into contiguous ranges, greedily as large as a core allows (neurons per core,
// synapse memory). kResourceExhausted when one neuron does not fit a core, e.g.
// "fan-in 20000 exceeds synapse memory of one core (16384 entries)". Zero neurons -> one empty
// range (an operator always occupies a core).
Result<std::vector<NeuronRange>> partitionNeurons(const Connectivity& c, const ChipConfig& config);

// Puts range i on the i-th lowest-numbered core with usable[core] true.
// kResourceExhausted "needs 180 cores, chip has 128" (+ how many are busy or failed).
// REQUIRES: usable.size() == config.num_cores.
Result<std::vector<CoreSlice>> placeRanges(const Connectivity& c,
                                           std::span<const NeuronRange> ranges,
                                           const std::vector<bool>& usable,
                                           const ChipConfig& config);

// The neuron ranges of a placement's slices, in slice order.
std::vector<NeuronRange> sliceRanges(const ChipPlacement& placement);

}  // namespace spikeline::hal
