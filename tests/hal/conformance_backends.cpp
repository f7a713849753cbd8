#include "tests/hal/conformance_backends.h"

#include "hal/cpu/cpu_backend.h"
#if defined(SPIKELINE_HAVE_CHIP)
#include "hal/chip/chip_backend.h"
#endif
#if defined(SPIKELINE_HAVE_CUDA)
#include "hal/cuda/cuda_backend.h"
#endif

namespace spikeline::hal::testing {

std::vector<BackendFactory> conformanceBackends() {
  std::vector<BackendFactory> out;
  out.push_back({"CpuEvent", [] { return makeCpuBackend(CpuOptions{1, 2.0}); }});
  out.push_back({"CpuDense", [] { return makeCpuBackend(CpuOptions{1, 0.0}); }});
#if defined(SPIKELINE_HAVE_CHIP)
  out.push_back({"Chip", [] { return makeChipBackend(ChipOptions{}); }});
#endif
#if defined(SPIKELINE_HAVE_CUDA)
  out.push_back({"Cuda", [] { return makeCudaBackend(CudaOptions{}); }});
#endif
  return out;
}

}  // namespace spikeline::hal::testing
