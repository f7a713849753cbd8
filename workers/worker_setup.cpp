#include "workers/worker_setup.h"

#include "hal/chip/chip_backend.h"
#include "hal/cpu/cpu_backend.h"
#include "hal/cuda/cuda_backend.h"

namespace spikeline::workers {

Result<std::unique_ptr<BackendSetup>> setUpBackend(const BackendChoice& choice) {
  auto setup = std::make_unique<BackendSetup>();
  SPIKELINE_ASSIGN_OR_RETURN(auto cpu, hal::makeCpuBackend(hal::CpuOptions{
                                           choice.threads == 0 ? 1u : choice.threads, -1.0}));
  setup->registry.add(std::move(cpu));
  if (choice.kind == "cuda" || choice.kind == "auto") {
    auto cuda = hal::makeCudaBackend(hal::CudaOptions{0, choice.threads == 0 ? 4u : choice.threads});
    if (cuda.isOk()) setup->registry.add(std::move(cuda).value());
    if (!cuda.isOk() && choice.kind == "cuda") return cuda.status();
  }
  if (choice.kind == "chip") {
    hal::ChipConfig config;
    config.name = choice.chip_name;
    config.num_cores = choice.chip_cores;
    SPIKELINE_ASSIGN_OR_RETURN(std::unique_ptr<hal::ChipDevice> device,
                               hal::openEmulatedChip(config));
    setup->chip = std::move(device);
    SPIKELINE_ASSIGN_OR_RETURN(auto chip, hal::makeChipBackend(hal::ChipOptions{config, setup->chip}));
    setup->registry.add(std::move(chip));
    std::shared_ptr<hal::ChipDevice> device_ref = setup->chip;  // shared: the hook outlives main's scope
    setup->hooks.inject_fault = [device_ref](const FaultRequest& f) {
      hal::ChipFault fault;
      fault.target = hal::FaultTarget{f.whole_chip ? hal::FaultScope::kChip : hal::FaultScope::kCore,
                                      f.core};
      fault.duration = f.permanent ? hal::FaultDuration::kPermanent : hal::FaultDuration::kTransient;
      fault.failing_runs = f.failing_runs;
      return device_ref->injectFault(fault);
    };
  }
  SPIKELINE_ASSIGN_OR_RETURN(setup->backend, setup->registry.pick(choice.kind));
  return setup;
}

}  // namespace spikeline::workers
