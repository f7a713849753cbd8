// makeCudaBackend: the hal::Backend (kind cuda) running every operator's kernels on one NVIDIA
// GPU, in float32 and fixed precision (fixed bit-identical to the CPU reference, through the
// shared hal/math functions). No CUDA header appears here: callers need no #ifdefs, and a build
// without CUDA (SPIKELINE_WITH_CUDA=OFF) returns kUnavailable("built without CUDA").
// Ownership: returns an owned Backend; its CompiledOperators hold device memory and must not
// outlive it. Thread safety: all methods may be called concurrently; each run uses its own stream.
#pragma once

#include <cstdint>
#include <memory>

#include "core/result.h"
#include "hal/backend.h"

namespace spikeline::hal {

struct CudaOptions {
  // CUDA device ordinal. Default: 0.
  int device = 0;
  // Frames run at once (BackendInfo::capacity), one CUDA stream each; a run waits for a free
  // stream. Default: 4. REQUIRES: >= 1.
  uint32_t streams = 4;
};

// Errors: kUnavailable when there is no usable device ("no CUDA device: cudaGetDeviceCount
// returned <CUDA's error string>") or the build has no CUDA; kInvalidArgument for bad options.
Result<std::unique_ptr<Backend>> makeCudaBackend(const CudaOptions& options);

}  // namespace spikeline::hal
