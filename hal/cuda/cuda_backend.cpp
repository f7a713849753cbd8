#include "hal/cuda/cuda_backend.h"

#include <cuda_runtime.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "hal/cuda/cuda_ops.h"
#include "hal/cuda/cuda_runtime_util.h"

namespace spikeline::hal {
namespace {

using cuda::CudaOperator;
using cuda::StreamSlot;

class CudaBackend final : public Backend {
 public:
  CudaBackend(int device, std::string name, std::vector<StreamSlot> slots)
      : device_(device),
        name_(std::move(name)),
        slots_(std::move(slots)),
        free_(slots_.size(), true) {}

  ~CudaBackend() override {
    (void)cudaSetDevice(device_);
    for (StreamSlot& s : slots_) {
      if (s.stream != nullptr) (void)cudaStreamDestroy(s.stream);
    }
  }

  BackendInfo info() const override {
    return BackendInfo{BackendKind::kCuda,
                       name_,
                       static_cast<uint32_t>(slots_.size()),
                       {Precision::kFloat32, Precision::kFixed}};
  }

  Status supports(const OperatorSpec& spec) const override {
    return cuda::checkCudaOperator(spec);  // compile's checks, without touching the device
  }

  Result<std::unique_ptr<CompiledOperator>> compile(const OperatorSpec& spec) override {
    SPIKELINE_RETURN_IF_ERROR(lostStatus());
    const size_t slot = acquire();
    Result<std::unique_ptr<CudaOperator>> op = compileOn(spec, slots_[slot]);
    release(slot);
    if (!op.isOk()) return noteLoss(op.status());
    (*op)->backend = this;
    return std::unique_ptr<CompiledOperator>(std::move(*op));
  }

  Result<Tensor> run(const CompiledOperator& op, std::span<const Tensor* const> inputs,
                     const RunContext& ctx) override {
    const auto* cop = dynamic_cast<const CudaOperator*>(&op);
    if (cop == nullptr || cop->backend != this) {
      return invalidArgument("op: '" + op.spec().name + "' was not compiled by " + name_);
    }
    SPIKELINE_RETURN_IF_ERROR(lostStatus());
    const size_t slot = acquire();
    Result<Tensor> out = runOn(*cop, inputs, ctx, slots_[slot]);
    release(slot);
    if (!out.isOk()) return noteLoss(out.status());
    return out;
  }

  BackendHealth health() const override {
    std::lock_guard<std::mutex> lock(mu_);
    BackendHealth h;
    if (!lost_.empty()) {
      h.state = HealthState::kFailed;
      h.detail = name_ + " lost: " + lost_;
    }
    return h;
  }

 private:
  Result<std::unique_ptr<CudaOperator>> compileOn(const OperatorSpec& spec, StreamSlot& slot) {
    SPIKELINE_RETURN_IF_ERROR(cuda::cudaStatus(cudaSetDevice(device_), "cudaSetDevice"));
    return cuda::compileCudaOperator(spec, slot.stream);
  }

  Result<Tensor> runOn(const CudaOperator& op, std::span<const Tensor* const> inputs,
                       const RunContext& ctx, StreamSlot& slot) {
    SPIKELINE_RETURN_IF_ERROR(cuda::cudaStatus(cudaSetDevice(device_), "cudaSetDevice"));
    return cuda::runCudaOperator(op, inputs, ctx, slot);
  }

  // Waits for a free stream slot and takes it.
  size_t acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    size_t slot = 0;
    cv_.wait(lock, [&] {
      for (slot = 0; slot < free_.size(); ++slot) {
        if (free_[slot]) return true;
      }
      return false;
    });
    free_[slot] = false;
    return slot;
  }

  void release(size_t slot) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      free_[slot] = true;
    }
    cv_.notify_one();
  }

  // Remembers a device loss (health turns kFailed; later calls fail fast) and passes `s` on.
  Status noteLoss(Status s) {
    if (s.code() == StatusCode::kUnavailable) {
      std::lock_guard<std::mutex> lock(mu_);
      if (lost_.empty()) lost_ = s.message();
    }
    return s;
  }

  Status lostStatus() const {
    std::lock_guard<std::mutex> lock(mu_);
    if (lost_.empty()) return Status::ok();
    return unavailable(name_ + " lost: " + lost_);
  }

  const int device_;
  const std::string name_;
  std::vector<StreamSlot> slots_;  // slot i is used by one call at a time (free_[i] false)
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<bool> free_;  // guarded by mu_
  std::string lost_;        // guarded by mu_; the first device-loss error
};

}  // namespace

Result<std::unique_ptr<Backend>> makeCudaBackend(const CudaOptions& options) {
  if (options.streams < 1) return invalidArgument("cuda: streams must be >= 1");
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    return unavailable(std::string("no CUDA device: cudaGetDeviceCount returned ") +
                       cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")");
  }
  if (count == 0) return unavailable("no CUDA device: cudaGetDeviceCount found 0 devices");
  if (options.device < 0 || options.device >= count) {
    return unavailable("no CUDA device " + std::to_string(options.device) + ": " +
                       std::to_string(count) + " present");
  }
  SPIKELINE_RETURN_IF_ERROR(cuda::cudaStatus(cudaSetDevice(options.device), "cudaSetDevice"));
  cudaDeviceProp prop{};
  SPIKELINE_RETURN_IF_ERROR(
      cuda::cudaStatus(cudaGetDeviceProperties(&prop, options.device), "cudaGetDeviceProperties"));
  std::vector<StreamSlot> slots(options.streams);
  for (StreamSlot& s : slots) {
    Status st = cuda::cudaStatus(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking),
                                 "cudaStreamCreate");
    if (!st.isOk()) {
      for (StreamSlot& made : slots) {
        if (made.stream != nullptr) (void)cudaStreamDestroy(made.stream);
      }
      return st;
    }
  }
  const std::string name = "cuda:" + std::to_string(options.device) + " " + prop.name;
  return std::unique_ptr<Backend>(
      std::make_unique<CudaBackend>(options.device, name, std::move(slots)));
}

}  // namespace spikeline::hal
