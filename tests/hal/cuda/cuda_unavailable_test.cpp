// Without a GPU (or without CUDA in the build) makeCudaBackend fails cleanly with kUnavailable
// and a message naming the cause, so `--backend cuda` can tell the user why.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hal/cuda/cuda_backend.h"
#include "tests/support/status_matchers.h"

namespace spikeline::hal {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

TEST(CudaUnavailableTest, NoDeviceIsUnavailableNamingTheCause) {
  Result<std::unique_ptr<Backend>> b = makeCudaBackend(CudaOptions{});
  if (b.isOk()) GTEST_SKIP() << "a CUDA device is present: " << (*b)->info().name;
  EXPECT_STATUS_CODE(b, StatusCode::kUnavailable);
  EXPECT_THAT(b.status().message(),
              AnyOf(HasSubstr("no CUDA device: cudaGetDeviceCount returned cudaError"),
                    HasSubstr("no CUDA device: cudaGetDeviceCount found 0 devices"),
                    HasSubstr("built without CUDA")));
}

TEST(CudaUnavailableTest, BadOptionsAreRejectedBeforeProbing) {
  CudaOptions o;
  o.streams = 0;
  Result<std::unique_ptr<Backend>> b = makeCudaBackend(o);
  if (b.status().message().find("built without CUDA") != std::string::npos) {
    GTEST_SKIP() << "built without CUDA";
  }
  EXPECT_STATUS_CODE(b, StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spikeline::hal
