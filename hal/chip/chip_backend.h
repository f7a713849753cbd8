// makeChipBackend: the hal::Backend (kind chip) over a ChipDevice: compile = map + load onto the
// device's cores, run = one serialised run on the device, health = the device's fault state.
// Ownership: the backend shares the device with whoever injects faults (see ChipOptions); each
// CompiledOperator holds its cores until destroyed and must not outlive the backend.
// Thread safety: all methods may be called concurrently; the device serialises runs.
#pragma once

#include <memory>

#include "core/result.h"
#include "hal/backend.h"
#include "hal/chip/chip_config.h"
#include "hal/chip/chip_device.h"

namespace spikeline::hal {

struct ChipOptions {
  // Used to open an emulated chip when `device` is null.
  ChipConfig config;
  // The device to run on. Shared because the backend runs operators on it while a fault
  // injector (the worker's control endpoint, tests) holds it too. Null: open an emulated chip.
  std::shared_ptr<ChipDevice> device;
};

// Errors: kInvalidArgument (bad config).
Result<std::unique_ptr<Backend>> makeChipBackend(const ChipOptions& options);

}  // namespace spikeline::hal
