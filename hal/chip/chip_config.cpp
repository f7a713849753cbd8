#include "hal/chip/chip_config.h"

#include <string>

namespace spikeline::hal {

Status validateChipConfig(const ChipConfig& config) {
  if (config.name.empty()) return invalidArgument("chip.name: must not be empty");
  if (config.num_cores == 0) return invalidArgument("chip.num_cores: must be >= 1");
  if (config.neurons_per_core == 0) return invalidArgument("chip.neurons_per_core: must be >= 1");
  if (config.synapse_entries_per_core == 0) {
    return invalidArgument("chip.synapse_entries_per_core: must be >= 1");
  }
  if (config.max_fan_in == 0) return invalidArgument("chip.max_fan_in: must be >= 1");
  return Status::ok();
}

}  // namespace spikeline::hal
