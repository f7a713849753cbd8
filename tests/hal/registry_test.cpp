#include "hal/registry.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace spikeline::hal {
namespace {

// A backend that only reports its kind and health.
class FakeBackend final : public Backend {
 public:
  FakeBackend(BackendKind kind, HealthState state) : kind_(kind), state_(state) {}
  BackendInfo info() const override { return {kind_, std::string(backendKindName(kind_)), 1, {}}; }
  Status supports(const OperatorSpec&) const override { return Status::ok(); }
  Result<std::unique_ptr<CompiledOperator>> compile(const OperatorSpec&) override {
    return unimplemented("fake");
  }
  Result<Tensor> run(const CompiledOperator&, std::span<const Tensor* const>,
                     const RunContext&) override {
    return unimplemented("fake");
  }
  BackendHealth health() const override { return {state_, "fake detail", {}}; }

 private:
  BackendKind kind_;
  HealthState state_;
};

std::unique_ptr<Backend> fake(BackendKind k, HealthState s = HealthState::kHealthy) {
  return std::make_unique<FakeBackend>(k, s);
}

TEST(BackendRegistryTest, AutoPrefersCudaThenCpuNeverChip) {
  BackendRegistry r;
  r.add(fake(BackendKind::kChip));
  r.add(fake(BackendKind::kCpu));
  ASSERT_OK_AND_ASSIGN(Backend * b, r.pick("auto"));
  EXPECT_EQ(b->info().kind, BackendKind::kCpu);
  r.add(fake(BackendKind::kCuda));
  ASSERT_OK_AND_ASSIGN(b, r.pick("auto"));
  EXPECT_EQ(b->info().kind, BackendKind::kCuda);
  ASSERT_OK_AND_ASSIGN(b, r.pick("chip"));
  EXPECT_EQ(b->info().kind, BackendKind::kChip);
  EXPECT_EQ(r.all().size(), 3u);
}

TEST(BackendRegistryTest, AutoSkipsFailedCuda) {
  BackendRegistry r;
  r.add(fake(BackendKind::kCuda, HealthState::kFailed));
  r.add(fake(BackendKind::kCpu));
  ASSERT_OK_AND_ASSIGN(Backend * b, r.pick("auto"));
  EXPECT_EQ(b->info().kind, BackendKind::kCpu);
  Result<Backend*> cuda = r.pick("cuda");
  EXPECT_STATUS_CODE(cuda, StatusCode::kUnavailable);
  EXPECT_NE(cuda.status().message().find("fake detail"), std::string::npos);
}

TEST(BackendRegistryTest, MissingOrUnknownBackendIsAClearError) {
  BackendRegistry r;
  r.add(fake(BackendKind::kCpu));
  Result<Backend*> cuda = r.pick("cuda");
  EXPECT_STATUS_CODE(cuda, StatusCode::kUnavailable);
  EXPECT_NE(cuda.status().message().find("backend cuda is not available"), std::string::npos);
  EXPECT_STATUS_CODE(r.pick("tpu"), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.find(BackendKind::kChip), nullptr);
  EXPECT_STATUS_CODE(BackendRegistry().pick("auto"), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace spikeline::hal
