// lif, if, recurrent_lif, the NIR neurons (li, integrator, cuba_li, cuba_lif, threshold) and
// readout on the chip: each core updates the membranes of its neuron
// slice once per timestep with the shared math (hal/math/neuron.h). The input current arrives on
// each neuron's own input port (1:1, no synapse memory); recurrent_lif's W_rec lives in each
// core's synapse table, fed by the previous step's spikes of every core (a barrier per step).
#include <string>
#include <vector>

#include "hal/chip/chip_io.h"
#include "hal/chip/chip_mapper.h"
#include "hal/chip/chip_programs.h"
#include "hal/fixed_point.h"
#include "hal/math/fixed.h"
#include "hal/math/neuron.h"
#include "hal/op_params.h"

namespace spikeline::hal {
namespace {

// Recurrent synapses of one core: CSR from source neuron to (local target, int8 weight).
struct RecurrentTable {
  std::vector<uint32_t> row_ptr;  // N + 1 (empty: not recurrent)
  std::vector<uint32_t> target;
  std::vector<int8_t> weight;
};

struct RecurrentTables {
  std::vector<RecurrentTable> tables;  // per slice
  int shift = 0;
};

// W_rec (N, N), row i = into neuron i, quantised once and cut into each core's CSR from source
// neuron j to its local targets.
Result<RecurrentTables> recurrentTables(const OperatorSpec& spec, const ChipPlacement& placement) {
  const uint64_t n = spec.input_shape.numel();
  auto it = spec.weights.find("recurrent");
  if (it == spec.weights.end() || it->second.values.size() != n * n) {
    return invalidArgument("weights.recurrent: required, shape [N, N] with N = " +
                           std::to_string(n));
  }
  if (!allFinite(it->second.values)) {
    return invalidArgument("weights.recurrent: holds NaN or infinity");
  }
  const QuantizedWeights q = quantizeWeights(it->second.values);
  RecurrentTables out;
  out.shift = q.shift;
  for (const CoreSlice& s : placement.slices) {
    RecurrentTable table;
    table.row_ptr.resize(n + 1);
    for (uint64_t j = 0; j < n; ++j) {
      table.row_ptr[j] = static_cast<uint32_t>(table.target.size());
      for (uint32_t i = s.neuron_begin; i < s.neuron_end; ++i) {
        table.target.push_back(i - s.neuron_begin);
        table.weight.push_back(q.values[size_t(i) * n + j]);
      }
    }
    table.row_ptr[n] = static_cast<uint32_t>(table.target.size());
    out.tables.push_back(std::move(table));
  }
  return out;
}

// Adds W_rec s[t-1] (the spikes the router broadcast) for the slice's neurons into acc.
void integrateRecurrent(const RecurrentTable& table, const std::vector<uint32_t>& spikes,
                        const NeuronRange& r, std::vector<int64_t>& acc, CoreActivity& activity) {
  acc.assign(r.end - r.begin, 0);
  for (uint32_t j : spikes) {
    for (uint32_t e = table.row_ptr[j]; e < table.row_ptr[j + 1]; ++e) {
      acc[table.target[e]] += table.weight[e];
    }
    activity.synaptic_events += table.row_ptr[j + 1] - table.row_ptr[j];
  }
  activity.spikes_routed += spikes.size();
}

class NeuronProgram final : public ChipProgram {
 public:
  NeuronProgram(const OperatorSpec& spec, const NeuronConfig& c, std::vector<NeuronRange> slices,
                std::vector<RecurrentTable> tables, int shift)
      : spec_(spec), c_(c), slices_(std::move(slices)), tables_(std::move(tables)), shift_(shift) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&,
                     CoreActivity& activity) const override {
    const uint32_t n = static_cast<uint32_t>(spec_.input_shape.numel());
    SPIKELINE_ASSIGN_OR_RETURN(uint32_t steps, checkInputs(inputs, 1, {n, false}, spec_));
    if (isSpikes(*inputs[0])) {
      return invalidArgument("inputs: " + spec_.kind + " input 0 must be dense values, got spikes");
    }
    const auto x = std::get<DenseTensor>(*inputs[0]).ints();
    const int f = static_cast<int>(spec_.frac_bits);
    SpikeTensor out(spec_.input_shape, steps);
    std::vector<int32_t> v(n, 0);    // membranes start at 0 every frame (stateless workers)
    std::vector<uint32_t> previous;  // spikes of step t - 1, as the router broadcasts them
    std::vector<int64_t> acc;
    for (uint32_t t = 0; t < steps; ++t) {
      for (size_t k = 0; k < slices_.size(); ++k) {
        const NeuronRange& r = slices_[k];
        const bool recurrent = !tables_.empty() && t > 0;
        if (recurrent) integrateRecurrent(tables_[k], previous, r, acc, activity);
        for (uint32_t i = r.begin; i < r.end; ++i) {
          int32_t current = x[size_t(t) * n + i];
          if (recurrent)
            current = math::sat32(int64_t{current} + math::rescale(acc[i - r.begin], shift_, f));
          const bool spike = c_.leaky ? c_.lif_q.step(v[i], current) : c_.if_q.step(v[i], current);
          if (spike) out.set(t, i);
        }
        activity.neuron_updates += r.end - r.begin;
      }
      previous.clear();
      out.forEachSpike(t, [&previous](uint32_t i) { previous.push_back(i); });
    }
    return Tensor(std::move(out));
  }

 private:
  OperatorSpec spec_;
  NeuronConfig c_;
  std::vector<NeuronRange> slices_;
  std::vector<RecurrentTable> tables_;  // per slice; empty for lif / if
  int shift_;
};

// li, integrator, cuba_li, cuba_lif, threshold: each core keeps a current and a membrane per
// neuron of its slice; the input (dense or spikes, a spike = 2^F) arrives 1:1; cuba_lif's W_rec
// is the recurrent synapse table, as for recurrent_lif.
class NirNeuronProgram final : public ChipProgram {
 public:
  NirNeuronProgram(const OperatorSpec& spec, const NirNeuronConfig& c,
                   std::vector<NeuronRange> slices, std::vector<RecurrentTable> tables, int shift)
      : spec_(spec), c_(c), slices_(std::move(slices)), tables_(std::move(tables)), shift_(shift) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&,
                     CoreActivity& activity) const override {
    const uint32_t n = static_cast<uint32_t>(spec_.input_shape.numel());
    SPIKELINE_ASSIGN_OR_RETURN(uint32_t steps, checkInputs(inputs, 1, {n, false}, spec_));
    const Tensor& x = *inputs[0];
    const int f = static_cast<int>(spec_.frac_bits);
    const bool spiking = c_.q.spiking;
    SpikeTensor spikes(spec_.input_shape, spiking ? steps : 0);
    DenseTensor dense(spec_.input_shape, spiking ? 0 : steps, DType::kInt32);
    std::vector<int32_t> cur(n, 0), v(n, 0);
    std::vector<uint32_t> previous;
    std::vector<int64_t> acc;
    for (uint32_t t = 0; t < steps; ++t) {
      for (size_t k = 0; k < slices_.size(); ++k) {
        const NeuronRange& r = slices_[k];
        const bool recurrent = !tables_.empty() && t > 0;
        if (recurrent) integrateRecurrent(tables_[k], previous, r, acc, activity);
        for (uint32_t i = r.begin; i < r.end; ++i) {
          int32_t in = activationAt(x, t, i, f);
          if (recurrent) in = math::sat32(int64_t{in} + math::rescale(acc[i - r.begin], shift_, f));
          const bool s = c_.q.step(cur[i], v[i], in);
          if (spiking && s) spikes.set(t, i);
          if (!spiking) dense.mutableInts()[size_t(t) * n + i] = v[i];
        }
        activity.neuron_updates += r.end - r.begin;
      }
      if (!tables_.empty()) {
        previous.clear();
        spikes.forEachSpike(t, [&previous](uint32_t i) { previous.push_back(i); });
      }
    }
    if (spiking) return Tensor(std::move(spikes));
    return Tensor(std::move(dense));
  }

 private:
  OperatorSpec spec_;
  NirNeuronConfig c_;
  std::vector<NeuronRange> slices_;
  std::vector<RecurrentTable> tables_;  // per slice; empty without recurrence
  int shift_;
};

class ReadoutProgram final : public ChipProgram {
 public:
  ReadoutProgram(const OperatorSpec& spec, const ReadoutConfig& c, std::vector<NeuronRange> slices)
      : spec_(spec), c_(c), slices_(std::move(slices)) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&,
                     CoreActivity& activity) const override {
    const uint32_t n = static_cast<uint32_t>(spec_.input_shape.numel());
    SPIKELINE_ASSIGN_OR_RETURN(uint32_t steps, checkInputs(inputs, 1, {n, false}, spec_));
    if (isSpikes(*inputs[0]) == c_.membrane) {
      return invalidArgument(
          std::string("inputs: readout input 0 must be ") +
          (c_.membrane ? "dense values (membrane mode)" : "spikes (spike_count mode)"));
    }
    const int f = static_cast<int>(spec_.frac_bits);
    DenseTensor out(spec_.input_shape, 1, DType::kInt32);
    std::span<int32_t> y = out.mutableInts();
    for (const NeuronRange& r : slices_) {
      for (uint32_t i = r.begin; i < r.end; ++i) {
        if (c_.membrane) {
          const auto x = std::get<DenseTensor>(*inputs[0]).ints();
          int32_t v = 0;
          for (uint32_t t = 0; t < steps; ++t) v = c_.lif_q.integrate(v, x[size_t(t) * n + i]);
          y[i] = v;
        } else {
          const auto& s = std::get<SpikeTensor>(*inputs[0]);
          int64_t count = 0;
          for (uint32_t t = 0; t < steps; ++t) count += s.get(t, i) ? 1 : 0;
          y[i] = math::sat32(math::rescale(count, 0, f));
        }
      }
      activity.neuron_updates += uint64_t{r.end - r.begin} * steps;
    }
    return Tensor(std::move(out));
  }

 private:
  OperatorSpec spec_;
  ReadoutConfig c_;
  std::vector<NeuronRange> slices_;
};

}  // namespace

ProgramResult buildNeuronProgram(const OperatorSpec& spec, const OperatorSignature&,
                                 const ChipPlacement& placement) {
  SPIKELINE_ASSIGN_OR_RETURN(NeuronConfig c, neuronConfig(spec));
  return std::unique_ptr<ChipProgram>(std::make_unique<NeuronProgram>(
      spec, c, sliceRanges(placement), std::vector<RecurrentTable>{}, 0));
}

ProgramResult buildRecurrentLifProgram(const OperatorSpec& spec, const OperatorSignature&,
                                       const ChipPlacement& placement) {
  SPIKELINE_ASSIGN_OR_RETURN(NeuronConfig c, neuronConfig(spec));
  SPIKELINE_ASSIGN_OR_RETURN(RecurrentTables rec, recurrentTables(spec, placement));
  return std::unique_ptr<ChipProgram>(std::make_unique<NeuronProgram>(
      spec, c, sliceRanges(placement), std::move(rec.tables), rec.shift));
}

ProgramResult buildNirNeuronProgram(const OperatorSpec& spec, const OperatorSignature&,
                                    const ChipPlacement& placement) {
  SPIKELINE_ASSIGN_OR_RETURN(NirNeuronConfig c, nirNeuronConfig(spec));
  RecurrentTables rec;
  if (c.recurrent) {
    SPIKELINE_ASSIGN_OR_RETURN(rec, recurrentTables(spec, placement));
  }
  return std::unique_ptr<ChipProgram>(std::make_unique<NirNeuronProgram>(
      spec, c, sliceRanges(placement), std::move(rec.tables), rec.shift));
}

ProgramResult buildReadoutProgram(const OperatorSpec& spec, const OperatorSignature&,
                                  const ChipPlacement& placement) {
  SPIKELINE_ASSIGN_OR_RETURN(ReadoutConfig c, readoutConfig(spec));
  return std::unique_ptr<ChipProgram>(
      std::make_unique<ReadoutProgram>(spec, c, sliceRanges(placement)));
}

}  // namespace spikeline::hal
