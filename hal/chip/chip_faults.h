// ChipFaults: the fault state of one chip (whole-chip and per-core faults, permanent or transient)
// and the rules for when a run or a load fails. Internal to hal/chip; owned by the device, which
// guards it with its mutex. Thread safety: none of its own (callers serialise).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "hal/chip/chip_config.h"
#include "hal/chip/chip_device.h"

namespace spikeline::hal {

class ChipFaults {
 public:
  explicit ChipFaults(const ChipConfig& config) : config_(config) {}

  // Replaces any fault on the same target. kInvalidArgument for a core out of range.
  Status inject(const ChipFault& fault);
  // Ok also when the target has no fault. kInvalidArgument for a core out of range.
  Status clear(const FaultTarget& target);
  void clearAll();

  bool chipFailed() const { return chip_.has_value(); }
  bool coreFailed(uint32_t core) const { return cores_.count(core) != 0; }
  // Ascending core ids with a fault in force.
  std::vector<uint32_t> failedCores() const;

  // kUnavailable "chip emu0 failed (injected, permanent)" when the chip has a fault. Consumes no
  // transient run.
  Status checkChip() const;
  // kUnavailable "chip core 17 failed (injected, permanent)" when `core` has a fault.
  Status checkCore(uint32_t core) const;

  // Decides one run over `placement`: a chip fault, or a fault on any placed core, fails it
  // (kUnavailable naming the chip or the first failed core, and the operator). Each transient
  // fault that fails the run counts one of its failing runs and heals after the last.
  Status consumeForRun(const ChipPlacement& placement);

  // "" when healthy, else e.g. "chip emu0: cores 3, 17 failed (injected, permanent); ...".
  std::string describe() const;

 private:
  struct State {
    FaultDuration duration = FaultDuration::kPermanent;
    uint32_t runs_left = 0;  // transient: failing runs left; 0 = until cleared
  };
  static std::string what(const State& s);
  // what() as seen by the run that is failing now (counting that run).
  static std::string whatAfterRun(const State& before);
  // Counts one failing run of a transient fault; true when it healed.
  static bool consume(State& s);

  ChipConfig config_;
  std::optional<State> chip_;
  std::map<uint32_t, State> cores_;
};

}  // namespace spikeline::hal
