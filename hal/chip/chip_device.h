// ChipDevice: a neuromorphic chip as a vendor SDK presents it: open, compile (map an operator onto
// cores -> ChipMapping), load, run, status, inject/clear faults. openEmulatedChip() returns the
// emulator; a Loihi/Lava, SpiNNaker or Akida adapter would implement this same interface.
// Ownership: the opener owns the device (unique_ptr); a ChipMapping owns its device image until
// load() takes it. Thread safety: all methods may be called concurrently; the device serialises
// compile/load/run internally (there is one piece of hardware).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/operator_spec.h"
#include "core/result.h"
#include "core/tensor.h"
#include "hal/backend.h"
#include "hal/chip/chip_config.h"

namespace spikeline::hal {

enum class FaultScope : uint8_t { kCore = 0, kChip = 1 };
enum class FaultDuration : uint8_t { kPermanent = 0, kTransient = 1 };

// What fails: one core, or the whole chip.
struct FaultTarget {
  FaultScope scope = FaultScope::kCore;
  uint32_t core = 0;  // kCore only
};

struct ChipFault {
  FaultTarget target;
  FaultDuration duration = FaultDuration::kPermanent;
  // kTransient only: the fault heals after failing this many runs that touch the target
  // (every run for a whole-chip fault). 0 = fails until cleared.
  uint32_t failing_runs = 0;
};

// One core's share of an operator: a contiguous range of the operator's output neurons.
struct CoreSlice {
  uint32_t core = 0;          // physical core id, < ChipConfig::num_cores
  uint32_t neuron_begin = 0;  // [neuron_begin, neuron_end) of the flattened output
  uint32_t neuron_end = 0;
  uint64_t synapse_entries = 0;  // synapse memory this slice occupies on its core
  uint32_t fan_in = 0;           // synapses into one neuron of the slice (0: no synapses)
  friend bool operator==(const CoreSlice&, const CoreSlice&) = default;
};

// Where compile put an operator. A value type.
struct ChipPlacement {
  std::string operator_name;
  std::string kind;
  uint32_t neurons = 0;  // output neurons per timestep
  std::vector<CoreSlice> slices;
  uint64_t synapseEntries() const;
  friend bool operator==(const ChipPlacement&, const ChipPlacement&) = default;
};

// The device-specific executable form of a mapped operator (synapse tables, neuron parameters).
class ChipImage {
 public:
  virtual ~ChipImage() = default;
};

// The result of compile(): a placement plus the image to write onto the placed cores. Move-only.
struct ChipMapping {
  ChipPlacement placement;
  std::unique_ptr<ChipImage> image;
};

// Activity counters since open().
struct ChipCounters {
  uint64_t runs = 0;             // run() calls
  uint64_t frames = 0;           // runs that completed
  uint64_t failed_runs = 0;      // runs refused by a fault
  uint64_t timesteps = 0;        // timesteps executed by completed runs
  uint64_t spikes_routed = 0;    // input events delivered to cores (one per destination core)
  uint64_t synaptic_events = 0;  // synapse-table entries applied
  uint64_t neuron_updates = 0;   // neuron-steps computed
  friend bool operator==(const ChipCounters&, const ChipCounters&) = default;
};

struct ChipStatus {
  ChipConfig config;
  bool chip_failed = false;
  std::vector<uint32_t> failed_cores;  // ascending; faults in force now
  uint32_t cores_in_use = 0;           // cores holding a loaded program
  uint32_t programs_loaded = 0;
  ChipCounters counters;
  std::string detail;  // human-readable summary of the faults, "" when healthy
};

// Names a loaded program on one device.
using ChipProgramId = uint64_t;

class ChipDevice {
 public:
  virtual ~ChipDevice() = default;

  virtual const ChipConfig& config() const = 0;

  // Validates `spec` and checks that it fits an empty, healthy chip, without building synapse
  // tables or looking at faults. Errors as compile() except kUnavailable.
  virtual Status check(const OperatorSpec& spec) const = 0;

  // Maps `spec` (fixed precision only) onto free, healthy cores and builds each core's synapse
  // table. Reserves nothing: load() does. Errors: kInvalidArgument (malformed spec),
  // kUnimplemented (float32, or a kind the chip cannot do), kResourceExhausted (does not fit,
  // naming what), kUnavailable (the whole chip failed).
  virtual Result<ChipMapping> compile(const OperatorSpec& spec) = 0;

  // Writes the mapping onto its cores and reserves them. Errors: kResourceExhausted (a core was
  // taken since compile: compile again), kUnavailable (a placed core or the chip failed).
  virtual Result<ChipProgramId> load(ChipMapping mapping) = 0;

  // Frees the program's cores. kNotFound for an unknown id.
  virtual Status unload(ChipProgramId program) = 0;

  // Runs one multi-step frame (as Backend::run). kUnavailable naming the core when a core the
  // program is placed on has failed, or the chip has; kNotFound for an unknown id.
  virtual Result<Tensor> run(ChipProgramId program, std::span<const Tensor* const> inputs,
                             const RunContext& ctx) = 0;

  // The placement of a loaded program; kNotFound for an unknown id.
  virtual Result<ChipPlacement> placement(ChipProgramId program) const = 0;

  virtual ChipStatus status() const = 0;

  // Replaces any fault already on the same target. kInvalidArgument for a core out of range.
  virtual Status injectFault(const ChipFault& fault) = 0;
  // Clears the fault on `target` (ok when there is none). kInvalidArgument for a bad core.
  virtual Status clearFault(const FaultTarget& target) = 0;
  virtual void clearAllFaults() = 0;
};

// Opens an emulated chip. kInvalidArgument when `config` is invalid.
Result<std::unique_ptr<ChipDevice>> openEmulatedChip(const ChipConfig& config);

}  // namespace spikeline::hal
