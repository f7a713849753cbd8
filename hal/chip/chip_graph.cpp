// graph_aggregate on the chip: neuron (v, k) integrates x[src_e][k] over the edges e into node v.
// A core stores the edge lists of the nodes its slice touches once, shared by all features
// (indexed by source node), plus a direct 1:1 link for self loops; sums are exact int64.
#include <algorithm>
#include <vector>

#include "hal/chip/chip_io.h"
#include "hal/chip/chip_programs.h"
#include "hal/math/fixed.h"
#include "hal/op_params.h"

namespace spikeline::hal {
namespace {

struct GraphCore {
  uint32_t begin = 0, end = 0;    // neurons (node-major: v * features + k)
  uint32_t v0 = 0;                // first node the slice touches
  std::vector<uint32_t> src_ptr;  // nodes + 1: entries of source node u
  std::vector<uint32_t> dst;      // destination node - v0
  std::vector<int8_t> weight;
};

class GraphProgram final : public ChipProgram {
 public:
  GraphProgram(const OperatorSpec& spec, const GraphConfig& g, std::vector<GraphCore> cores)
      : spec_(spec),
        features_(g.features),
        self_loops_(g.self_loops),
        shift_(g.weight_q.shift),
        cores_(std::move(cores)) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&,
                     CoreActivity& activity) const override {
    const uint32_t n = static_cast<uint32_t>(spec_.input_shape.numel());
    SPIKELINE_ASSIGN_OR_RETURN(uint32_t steps, checkInputs(inputs, 1, {n, false}, spec_));
    const Tensor& in = *inputs[0];
    const int f = static_cast<int>(spec_.frac_bits);
    const int32_t spike = isSpikes(in) ? math::spikeActivation(f) : 1;  // value per event unit
    DenseTensor out(spec_.input_shape, steps, DType::kInt32);
    std::vector<InputEvent> events;
    std::vector<int64_t> acc;
    for (uint32_t t = 0; t < steps; ++t) {
      gatherEvents(in, t, events);
      for (const GraphCore& core : cores_) {
        acc.assign(core.end - core.begin, 0);
        for (const InputEvent& ev : events) {
          const uint32_t u = ev.address / features_, k = ev.address % features_;
          const uint32_t lo = core.src_ptr[u], hi = core.src_ptr[u + 1];
          if (lo == hi) continue;  // the router does not deliver it here
          ++activity.spikes_routed;
          for (uint32_t e = lo; e < hi; ++e) {
            const uint64_t target = uint64_t{core.v0 + core.dst[e]} * features_ + k;
            if (target < core.begin || target >= core.end) continue;
            acc[target - core.begin] += int64_t{core.weight[e]} * (int64_t{ev.value} * spike);
            ++activity.synaptic_events;
          }
        }
        for (uint32_t i = core.begin; i < core.end; ++i) {
          int64_t a = acc[i - core.begin];
          if (self_loops_) a += int64_t{activationAt(in, t, i, f)} << shift_;
          out.mutableInts()[size_t(t) * n + i] = math::accToActivation(a, shift_, f, f, 0);
        }
        activity.neuron_updates += core.end - core.begin;
      }
    }
    return Tensor(std::move(out));
  }

 private:
  OperatorSpec spec_;
  uint32_t features_;
  bool self_loops_;
  int shift_;
  std::vector<GraphCore> cores_;
};

// The edges into nodes [v0, v1), re-indexed by source node.
GraphCore buildCore(const GraphConfig& g, uint32_t begin, uint32_t end) {
  GraphCore core;
  core.begin = begin;
  core.end = end;
  const uint32_t per = std::max<uint32_t>(g.features, 1);
  core.v0 = begin / per;
  const uint32_t v1 = end > begin ? (end - 1) / per + 1 : core.v0;
  core.src_ptr.assign(size_t(g.nodes) + 1, 0);
  for (uint32_t v = core.v0; v < v1; ++v) {
    for (uint32_t e = g.row_ptr[v]; e < g.row_ptr[v + 1]; ++e) ++core.src_ptr[g.src[e] + 1];
  }
  for (uint32_t u = 0; u < g.nodes; ++u) core.src_ptr[u + 1] += core.src_ptr[u];
  core.dst.resize(core.src_ptr[g.nodes]);
  core.weight.resize(core.src_ptr[g.nodes]);
  std::vector<uint32_t> fill(core.src_ptr.begin(), core.src_ptr.end() - 1);
  for (uint32_t v = core.v0; v < v1; ++v) {
    for (uint32_t e = g.row_ptr[v]; e < g.row_ptr[v + 1]; ++e) {
      const uint32_t slot = fill[g.src[e]]++;
      core.dst[slot] = v - core.v0;
      core.weight[slot] = g.weight_q.values[e];
    }
  }
  return core;
}

}  // namespace

ProgramResult buildGraphProgram(const OperatorSpec& spec, const OperatorSignature&,
                                const ChipPlacement& placement) {
  SPIKELINE_ASSIGN_OR_RETURN(GraphConfig g, graphConfig(spec));
  std::vector<GraphCore> cores;
  for (const CoreSlice& s : placement.slices) {
    cores.push_back(buildCore(g, s.neuron_begin, s.neuron_end));
  }
  return std::unique_ptr<ChipProgram>(std::make_unique<GraphProgram>(spec, g, std::move(cores)));
}

}  // namespace spikeline::hal
