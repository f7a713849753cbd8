#include "hal/cuda/cuda_runtime_util.h"

#include <string>
#include <utility>

namespace spikeline::hal::cuda {

bool isDeviceLoss(cudaError_t err) {
  switch (err) {
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorDevicesUnavailable:
    case cudaErrorInitializationError:
    case cudaErrorECCUncorrectable:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorLaunchFailure:
    case cudaErrorLaunchTimeout:
    case cudaErrorSystemNotReady:
    case cudaErrorSystemDriverMismatch:
    case cudaErrorDeviceUninitialized:
    case cudaErrorContextIsDestroyed:
      return true;
    default:
      return false;
  }
}

Status cudaStatus(cudaError_t err, std::string_view what) {
  if (err == cudaSuccess) return Status::ok();
  std::string msg =
      std::string(what) + ": " + cudaGetErrorName(err) + ": " + cudaGetErrorString(err);
  if (isDeviceLoss(err)) return unavailable(std::move(msg));
  if (err == cudaErrorMemoryAllocation) return resourceExhausted(std::move(msg));
  return internalError(std::move(msg));
}

DeviceBuffer::~DeviceBuffer() { release(); }

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    release();
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void DeviceBuffer::release() {
  if (ptr_ != nullptr) (void)cudaFree(ptr_);
  ptr_ = nullptr;
  bytes_ = 0;
}

Status DeviceBuffer::reserve(size_t bytes) {
  if (bytes <= bytes_ && ptr_ != nullptr) return Status::ok();
  release();
  void* p = nullptr;
  SPIKELINE_RETURN_IF_ERROR(
      cudaStatus(cudaMalloc(&p, bytes == 0 ? 1 : bytes), "cudaMalloc " + std::to_string(bytes)));
  ptr_ = p;
  bytes_ = bytes;
  return Status::ok();
}

Status DeviceBuffer::upload(const void* src, size_t bytes, cudaStream_t stream) {
  SPIKELINE_RETURN_IF_ERROR(reserve(bytes));
  if (bytes == 0) return Status::ok();
  return cudaStatus(cudaMemcpyAsync(ptr_, src, bytes, cudaMemcpyHostToDevice, stream),
                    "cudaMemcpyAsync to device");
}

}  // namespace spikeline::hal::cuda
