#include "hal/chip/chip_mapper.h"

#include <algorithm>
#include <string>

#include "hal/op_params.h"

namespace spikeline::hal {

uint64_t sliceSynapseEntries(const Connectivity& c, uint32_t begin, uint32_t end) {
  if (end <= begin) return 0;
  switch (c.layout) {
    case SynapseLayout::kNone:
      return 0;
    case SynapseLayout::kDense:
      return uint64_t{c.fan_in} * (end - begin);
    case SynapseLayout::kSharedKernel: {
      const uint32_t per = std::max<uint32_t>(c.neurons_per_kernel, 1);
      const uint64_t kernels = (end - 1) / per - begin / per + 1;
      return uint64_t{c.fan_in} * kernels;
    }
    case SynapseLayout::kSharedRows: {
      const uint32_t per = std::max<uint32_t>(c.neurons_per_kernel, 1);
      return c.row_prefix[(end - 1) / per + 1] - c.row_prefix[begin / per];
    }
  }
  return 0;
}

Result<Connectivity> connectivityOf(const OperatorSpec& spec, const Shape& output) {
  Connectivity c;
  const uint64_t neurons = output.numel();
  if (neurons > UINT32_MAX) {
    return resourceExhausted(std::to_string(neurons) +
                             " output neurons exceed the chip's 2^32 "
                             "neuron address space");
  }
  c.neurons = static_cast<uint32_t>(neurons);
  if (spec.kind == "linear") {
    // Each output neuron stores the synapses of its own row only (the per-row form's weights are
    // shared by the rows, but the core holds one copy per neuron, like any dense layer).
    SPIKELINE_ASSIGN_OR_RETURN(LinearLayout l, linearLayout(spec));
    c.layout = SynapseLayout::kDense;
    c.fan_in = l.in;
  } else if (spec.kind == "recurrent_lif" ||
             (spec.kind == "cuba_lif" && spec.weights.count("recurrent") != 0)) {
    c.layout = SynapseLayout::kDense;
    c.fan_in = c.neurons;  // W_rec: every neuron hears every neuron's previous spike
  } else if (spec.kind == "scale") {
    c.layout = SynapseLayout::kDense;
    c.fan_in = 1;  // one synapse per neuron: its own scale factor
  } else if (spec.kind == "conv1d") {
    const auto it = spec.weights.find("weight");
    if (it == spec.weights.end() || it->second.shape.rank() != 3 || output.rank() != 2) {
      return invalidArgument("weights.weight: conv1d needs a 3-d weight and a 2-d output");
    }
    const Shape& w = it->second.shape;
    c.layout = SynapseLayout::kSharedKernel;  // as conv2d with kH = 1
    c.fan_in = w[1] * w[2];
    c.neurons_per_kernel = output[1];
  } else if (spec.kind == "conv2d") {
    const auto it = spec.weights.find("weight");
    if (it == spec.weights.end() || it->second.shape.rank() != 4 || output.rank() != 3) {
      return invalidArgument("weights.weight: conv2d needs a 4-d weight and a 3-d output");
    }
    const Shape& w = it->second.shape;
    c.layout = SynapseLayout::kSharedKernel;
    c.fan_in = w[1] * w[2] * w[3];
    c.neurons_per_kernel = output[1] * output[2];
  } else if (spec.kind == "graph_aggregate") {
    SPIKELINE_ASSIGN_OR_RETURN(GraphConfig g, graphConfig(spec));
    c.layout = SynapseLayout::kSharedRows;
    c.neurons_per_kernel = std::max<uint32_t>(g.features, 1);
    c.row_prefix.assign(g.row_ptr.begin(), g.row_ptr.end());
    for (uint32_t v = 0; v < g.nodes; ++v) {
      c.fan_in = std::max(c.fan_in, g.row_ptr[v + 1] - g.row_ptr[v] + (g.self_loops ? 1u : 0u));
    }
  } else if (spec.kind == "self_attention") {
    return unimplemented(
        "self_attention: the chip has no synapse table for the Q K^T product "
        "(both operands are run-time spikes, not stored weights)");
  }
  return c;
}

namespace {

// Largest n <= limit such that [begin, begin + n) fits the synapse memory.
uint32_t fittingNeurons(const Connectivity& c, const ChipConfig& config, uint32_t begin,
                        uint32_t limit) {
  const uint64_t memory = config.synapse_entries_per_core;
  switch (c.layout) {
    case SynapseLayout::kNone:
      return limit;
    case SynapseLayout::kDense:
      return static_cast<uint32_t>(std::min<uint64_t>(limit, memory / c.fan_in));
    case SynapseLayout::kSharedKernel: {
      const uint32_t per = std::max<uint32_t>(c.neurons_per_kernel, 1);
      const uint64_t kernels = memory / c.fan_in;
      const uint64_t end = (uint64_t{begin} / per + kernels) * per;
      return static_cast<uint32_t>(std::min<uint64_t>(limit, end - begin));
    }
    case SynapseLayout::kSharedRows: {
      // Whole rows from the first one touched while they fit (a partial last group is fine).
      const uint32_t per = std::max<uint32_t>(c.neurons_per_kernel, 1);
      const uint64_t first = begin / per;
      const auto last = std::upper_bound(c.row_prefix.begin() + first + 1, c.row_prefix.end(),
                                         c.row_prefix[first] + memory);
      const uint64_t rows = uint64_t(last - c.row_prefix.begin()) - 1 - first;  // >= 1
      return static_cast<uint32_t>(std::min<uint64_t>(limit, (first + rows) * per - begin));
    }
  }
  return limit;
}

}  // namespace

Result<std::vector<NeuronRange>> partitionNeurons(const Connectivity& c, const ChipConfig& config) {
  if (c.layout != SynapseLayout::kNone && c.fan_in > 0) {
    if (c.fan_in > config.synapse_entries_per_core) {
      return resourceExhausted("fan-in " + std::to_string(c.fan_in) +
                               " exceeds synapse memory of one core (" +
                               std::to_string(config.synapse_entries_per_core) + " entries)");
    }
    if (c.fan_in > config.max_fan_in) {
      return resourceExhausted("fan-in " + std::to_string(c.fan_in) +
                               " exceeds the fan-in limit of one neuron (" +
                               std::to_string(config.max_fan_in) + " input axons per core)");
    }
  }
  std::vector<NeuronRange> ranges;
  if (c.neurons == 0) {
    ranges.push_back({0, 0});
    return ranges;
  }
  Connectivity dense = c;
  if (dense.fan_in == 0) dense.layout = SynapseLayout::kNone;
  for (uint32_t begin = 0; begin < c.neurons;) {
    const uint32_t limit = std::min(config.neurons_per_core, c.neurons - begin);
    const uint32_t n = fittingNeurons(dense, config, begin, limit);
    if (n == 0)
      return internalError("chip mapper made no progress at neuron " + std::to_string(begin));
    ranges.push_back({begin, begin + n});
    begin += n;
  }
  return ranges;
}

Result<std::vector<CoreSlice>> placeRanges(const Connectivity& c,
                                           std::span<const NeuronRange> ranges,
                                           const std::vector<bool>& usable,
                                           const ChipConfig& config) {
  std::vector<CoreSlice> slices;
  slices.reserve(ranges.size());
  size_t next = 0;
  for (uint32_t core = 0; core < usable.size() && next < ranges.size(); ++core) {
    if (!usable[core]) continue;
    const NeuronRange& r = ranges[next++];
    slices.push_back({core, r.begin, r.end, sliceSynapseEntries(c, r.begin, r.end),
                      c.layout == SynapseLayout::kNone ? 0u : c.fan_in});
  }
  if (slices.size() == ranges.size()) return slices;
  const auto free_cores = static_cast<size_t>(std::count(usable.begin(), usable.end(), true));
  std::string msg = "needs " + std::to_string(ranges.size()) + " cores, chip has " +
                    std::to_string(config.num_cores);
  if (free_cores < config.num_cores) {
    msg += " (" + std::to_string(free_cores) + " free and healthy)";
  }
  return resourceExhausted(std::move(msg));
}

std::vector<NeuronRange> sliceRanges(const ChipPlacement& placement) {
  std::vector<NeuronRange> ranges;
  ranges.reserve(placement.slices.size());
  for (const CoreSlice& s : placement.slices) ranges.push_back({s.neuron_begin, s.neuron_end});
  return ranges;
}

}  // namespace spikeline::hal
