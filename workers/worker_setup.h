// Backend wiring for spikeline-worker's main(): builds the registry for --backend and, for the
// chip, keeps the device so faults can be injected into the running worker. Owned by main().
// Thread safety: built once in main(); the fault hook is thread-safe (the device is).
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "hal/backend.h"
#include "hal/chip/chip_device.h"
#include "hal/registry.h"
#include "workers/worker.h"

namespace spikeline::workers {

struct BackendChoice {
  std::string kind = "auto";  // cpu | cuda | chip | auto
  uint32_t threads = 0;       // cpu threads / cuda streams; 0 = 1 (cpu) or 4 (cuda)
  uint32_t chip_cores = 128;
  std::string chip_name = "emu0";
};

struct BackendSetup {
  hal::BackendRegistry registry;
  hal::Backend* backend = nullptr;           // borrowed from registry
  std::shared_ptr<hal::ChipDevice> chip;     // shared with the backend: the fault hook's target
  WorkerHooks hooks;
};

// kUnavailable naming the backend when it cannot be opened (e.g. cuda without a GPU).
Result<std::unique_ptr<BackendSetup>> setUpBackend(const BackendChoice& choice);

}  // namespace spikeline::workers
