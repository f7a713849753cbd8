// The emulated chip: resource bookkeeping (which core holds which program), the fault model and
// the serialised run loop. Per-operator core programs are in chip_program*.cpp.
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "core/operator_catalog.h"
#include "hal/chip/chip_device.h"
#include "hal/chip/chip_faults.h"
#include "hal/chip/chip_mapper.h"
#include "hal/chip/chip_program.h"
#include "hal/spec_validation.h"

namespace spikeline::hal {
namespace {

// What compile decides before it looks at which cores are free.
struct OperatorPlan {
  std::string label;  // "chip emu0: operator 'fc1' (linear)", the prefix of every error
  OperatorSignature sig;
  Connectivity conn;
  std::vector<NeuronRange> ranges;
};

Result<OperatorPlan> planOperator(const OperatorSpec& spec, const ChipConfig& config) {
  OperatorPlan plan;
  plan.label = "chip " + config.name + ": operator '" + spec.name + "' (" + spec.kind + ")";
  if (spec.precision != Precision::kFixed) {
    return unimplemented(plan.label + ": the chip runs fixed precision only, not " +
                         std::string(precisionName(spec.precision)));
  }
  if (!isKnownOperatorKind(spec.kind)) {
    return notFound("kind: unknown operator kind \"" + spec.kind + "\"");
  }
  if (!chipRunsKind(spec.kind)) {
    return unimplemented(plan.label + ": " + chipKindUnsupportedReason(spec.kind));
  }
  Result<OperatorSignature> sig = validateSpec(spec);
  if (!sig.isOk()) return sig.status();
  plan.sig = std::move(*sig);
  Result<Connectivity> conn = connectivityOf(spec, plan.sig.output_shape);
  if (!conn.isOk()) return conn.status().withContext(plan.label);
  plan.conn = *conn;
  Result<std::vector<NeuronRange>> ranges = partitionNeurons(plan.conn, config);
  if (!ranges.isOk()) return ranges.status().withContext(plan.label);
  const uint64_t cores = ranges->size();
  if (cores > config.num_cores) {
    return resourceExhausted(plan.label + ": needs " + std::to_string(cores) + " cores, chip has " +
                             std::to_string(config.num_cores));
  }
  plan.ranges = std::move(*ranges);
  return plan;
}

struct LoadedProgram {
  ChipPlacement placement;
  std::unique_ptr<ChipProgram> program;
};

class EmulatedChipDevice final : public ChipDevice {
 public:
  explicit EmulatedChipDevice(const ChipConfig& config)
      : config_(config), faults_(config), owner_(config.num_cores, 0) {}

  const ChipConfig& config() const override { return config_; }

  Status check(const OperatorSpec& spec) const override {
    return planOperator(spec, config_).status();
  }

  Result<ChipMapping> compile(const OperatorSpec& spec) override {
    SPIKELINE_ASSIGN_OR_RETURN(OperatorPlan plan, planOperator(spec, config_));
    ChipMapping mapping;
    {
      std::lock_guard<std::mutex> lock(mu_);
      SPIKELINE_RETURN_IF_ERROR(faults_.checkChip());
      std::vector<bool> usable(config_.num_cores);
      for (uint32_t c = 0; c < config_.num_cores; ++c) {
        usable[c] = owner_[c] == 0 && !faults_.coreFailed(c);
      }
      Result<std::vector<CoreSlice>> slices = placeRanges(plan.conn, plan.ranges, usable, config_);
      if (!slices.isOk()) return slices.status().withContext(plan.label);
      mapping.placement = {spec.name, spec.kind, plan.conn.neurons, std::move(*slices)};
    }
    Result<std::unique_ptr<ChipProgram>> program =
        buildChipProgram(spec, plan.sig, mapping.placement);
    if (!program.isOk()) return program.status().withContext(plan.label);
    mapping.image = std::move(*program);
    return mapping;
  }

  Result<ChipProgramId> load(ChipMapping mapping) override {
    auto* program = dynamic_cast<ChipProgram*>(mapping.image.get());
    if (program == nullptr) {
      return invalidArgument("chip " + config_.name + ": mapping was not compiled by this device");
    }
    std::lock_guard<std::mutex> lock(mu_);
    SPIKELINE_RETURN_IF_ERROR(faults_.checkChip());
    for (const CoreSlice& s : mapping.placement.slices) {
      if (s.core >= config_.num_cores)
        return invalidArgument("chip " + config_.name + ": no core " + std::to_string(s.core));
      SPIKELINE_RETURN_IF_ERROR(faults_.checkCore(s.core));
      if (owner_[s.core] != 0) {
        return resourceExhausted("chip " + config_.name + ": core " + std::to_string(s.core) +
                                 " was taken by another program since compile; compile again");
      }
    }
    const ChipProgramId id = next_id_++;
    for (const CoreSlice& s : mapping.placement.slices) owner_[s.core] = id;
    mapping.image.release();
    programs_[id] =
        LoadedProgram{std::move(mapping.placement), std::unique_ptr<ChipProgram>(program)};
    return id;
  }

  Status unload(ChipProgramId id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = programs_.find(id);
    if (it == programs_.end()) return notFound(unknownProgram(id));
    for (const CoreSlice& s : it->second.placement.slices) owner_[s.core] = 0;
    programs_.erase(it);
    return Status::ok();
  }

  Result<Tensor> run(ChipProgramId id, std::span<const Tensor* const> inputs,
                     const RunContext& ctx) override {
    std::lock_guard<std::mutex> lock(mu_);  // one hardware: runs are serialised
    ++counters_.runs;
    auto it = programs_.find(id);
    if (it == programs_.end()) return notFound(unknownProgram(id));
    if (Status s = faults_.consumeForRun(it->second.placement); !s.isOk()) {
      ++counters_.failed_runs;
      return s;
    }
    CoreActivity activity;
    Result<Tensor> out = it->second.program->run(inputs, ctx, activity);
    counters_.spikes_routed += activity.spikes_routed;
    counters_.synaptic_events += activity.synaptic_events;
    counters_.neuron_updates += activity.neuron_updates;
    if (out.isOk()) {
      ++counters_.frames;
      counters_.timesteps += inputs.empty() ? 0 : tensorTimesteps(*inputs[0]);
    }
    return out;
  }

  Result<ChipPlacement> placement(ChipProgramId id) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = programs_.find(id);
    if (it == programs_.end()) return notFound(unknownProgram(id));
    return it->second.placement;
  }

  ChipStatus status() const override {
    std::lock_guard<std::mutex> lock(mu_);
    ChipStatus s;
    s.config = config_;
    s.chip_failed = faults_.chipFailed();
    s.failed_cores = faults_.failedCores();
    for (ChipProgramId o : owner_) s.cores_in_use += o != 0 ? 1 : 0;
    s.programs_loaded = static_cast<uint32_t>(programs_.size());
    s.counters = counters_;
    s.detail = faults_.describe();
    return s;
  }

  Status injectFault(const ChipFault& fault) override {
    std::lock_guard<std::mutex> lock(mu_);
    return faults_.inject(fault);
  }

  Status clearFault(const FaultTarget& target) override {
    std::lock_guard<std::mutex> lock(mu_);
    return faults_.clear(target);
  }

  void clearAllFaults() override {
    std::lock_guard<std::mutex> lock(mu_);
    faults_.clearAll();
  }

 private:
  std::string unknownProgram(ChipProgramId id) const {
    return "chip " + config_.name + ": no loaded program " + std::to_string(id);
  }

  const ChipConfig config_;
  mutable std::mutex mu_;
  ChipFaults faults_;                                // guarded by mu_
  std::vector<ChipProgramId> owner_;                 // per core; 0 = free. Guarded by mu_
  std::map<ChipProgramId, LoadedProgram> programs_;  // guarded by mu_
  ChipCounters counters_;                            // guarded by mu_
  ChipProgramId next_id_ = 1;                        // guarded by mu_
};

}  // namespace

uint64_t ChipPlacement::synapseEntries() const {
  uint64_t total = 0;
  for (const CoreSlice& s : slices) total += s.synapse_entries;
  return total;
}

Result<std::unique_ptr<ChipDevice>> openEmulatedChip(const ChipConfig& config) {
  SPIKELINE_RETURN_IF_ERROR(validateChipConfig(config));
  return std::unique_ptr<ChipDevice>(std::make_unique<EmulatedChipDevice>(config));
}

}  // namespace spikeline::hal
