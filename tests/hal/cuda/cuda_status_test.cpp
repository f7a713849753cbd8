// CUDA errors become the Status code that tells the caller what to do: device loss re-routes
// (kUnavailable), out of memory does not fit (kResourceExhausted), anything else is a bug.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hal/cuda/cuda_runtime_util.h"
#include "tests/support/status_matchers.h"

namespace spikeline::hal::cuda {
namespace {

using ::testing::HasSubstr;

TEST(CudaStatusTest, SuccessIsOk) { EXPECT_OK(cudaStatus(cudaSuccess, "x")); }

TEST(CudaStatusTest, DeviceLossIsUnavailable) {
  for (cudaError_t e : {cudaErrorNoDevice, cudaErrorInsufficientDriver, cudaErrorLaunchFailure,
                        cudaErrorECCUncorrectable, cudaErrorDevicesUnavailable}) {
    EXPECT_TRUE(isDeviceLoss(e)) << cudaGetErrorName(e);
    EXPECT_STATUS_CODE(cudaStatus(e, "run"), StatusCode::kUnavailable);
  }
}

TEST(CudaStatusTest, OutOfMemoryIsResourceExhausted) {
  const Status s = cudaStatus(cudaErrorMemoryAllocation, "cudaMalloc 1024");
  EXPECT_STATUS_CODE(s, StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("cudaMalloc 1024: cudaErrorMemoryAllocation"));
}

TEST(CudaStatusTest, OtherErrorsAreInternal) {
  EXPECT_FALSE(isDeviceLoss(cudaErrorInvalidValue));
  EXPECT_STATUS_CODE(cudaStatus(cudaErrorInvalidValue, "launch"), StatusCode::kInternal);
  EXPECT_STATUS_CODE(cudaStatus(cudaErrorInvalidConfiguration, "launch"), StatusCode::kInternal);
}

}  // namespace
}  // namespace spikeline::hal::cuda
