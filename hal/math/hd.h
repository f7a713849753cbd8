// SPIKELINE_HD: marks the shared per-element math as callable from host and CUDA device code.
// Expands to `__host__ __device__` under nvcc and to nothing in plain C++ builds.
// Thread safety: not applicable (a macro).
#pragma once

#if defined(__CUDACC__)
#define SPIKELINE_HD __host__ __device__
#else
#define SPIKELINE_HD
#endif
