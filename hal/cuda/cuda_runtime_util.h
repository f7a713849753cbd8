// CUDA runtime plumbing for hal/cuda (internal): CUDA errors as Status, and DeviceBuffer, device
// memory owned by one object. Thread safety: DeviceBuffer is not thread-safe (one owner).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <string_view>

#include "core/status.h"

namespace spikeline::hal::cuda {

// True for errors after which the device (or its context) cannot be used: no device/driver,
// ECC or hardware faults, launch failures that poison the context.
bool isDeviceLoss(cudaError_t err);

// Ok for cudaSuccess; else kUnavailable on device loss, kResourceExhausted on out of memory,
// kInternal otherwise. Message: "<what>: <cudaGetErrorName>: <cudaGetErrorString>".
Status cudaStatus(cudaError_t err, std::string_view what);

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  // Ensures capacity >= bytes (reallocating, contents lost, when smaller).
  Status reserve(size_t bytes);
  // reserve(bytes) then copies `bytes` from host memory, asynchronously on `stream`.
  Status upload(const void* src, size_t bytes, cudaStream_t stream);

  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  size_t capacity() const { return bytes_; }

 private:
  void release();

  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace spikeline::hal::cuda
