// makeCudaBackend for builds without CUDA (SPIKELINE_WITH_CUDA=OFF).
#include "hal/cuda/cuda_backend.h"

namespace spikeline::hal {

Result<std::unique_ptr<Backend>> makeCudaBackend(const CudaOptions&) {
  return unavailable("cuda backend unavailable: built without CUDA (SPIKELINE_WITH_CUDA=OFF)");
}

}  // namespace spikeline::hal
