// Bad specs and bad inputs get clear errors from the CPU backend, never a crash.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hal/cpu/cpu_backend.h"
#include "tests/hal/hal_test_util.h"
#include "tests/support/status_matchers.h"

namespace spikeline::hal {
namespace {

using testing::floats;
using ::testing::HasSubstr;
using testing::ints;
using testing::makeSpec;
using testing::runOnce;
using testing::setWeight;
using testing::spikes;

class CpuErrorsTest : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> cpu_ = std::move(makeCpuBackend({})).value();
};

OperatorSpec lifSpec() {
  OperatorSpec s = makeSpec("lif", Shape{3});
  s.params.set("tau", 0.01);
  s.params.set("v_threshold", 1.0);
  return s;
}

TEST_F(CpuErrorsTest, RejectsInputOfWrongShape) {
  Result<Tensor> r = runOnce(*cpu_, lifSpec(), {floats(Shape{4}, 1, {1, 2, 3, 4})});
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("shape [4], compiled for [3]"));
}

TEST_F(CpuErrorsTest, RejectsSpikesWhereDenseExpected) {
  Result<Tensor> r = runOnce(*cpu_, lifSpec(), {spikes(Shape{3}, {"101"})});
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("must be dense values, got spikes"));
}

TEST_F(CpuErrorsTest, RejectsDenseTypeOfOtherPrecision) {
  Result<Tensor> r = runOnce(*cpu_, lifSpec(), {ints(Shape{3}, 1, {1, 2, 3})});
  EXPECT_THAT(r.status().message(), HasSubstr("must be float32 values"));
  OperatorSpec q = lifSpec();
  q.precision = Precision::kFixed;
  Result<Tensor> rq = runOnce(*cpu_, q, {floats(Shape{3}, 1, {1, 2, 3})});
  EXPECT_THAT(rq.status().message(), HasSubstr("must be int32 values"));
}

TEST_F(CpuErrorsTest, RejectsWrongNumberOfInputs) {
  auto op = std::move(cpu_->compile(makeSpec("add", Shape{2}))).value();
  const Tensor a = floats(Shape{2}, 1, {1, 2});
  std::vector<const Tensor*> one = {&a};
  Result<Tensor> r = cpu_->run(*op, one, {});
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("takes 2 input(s), got 1"));
  std::vector<const Tensor*> with_null = {&a, nullptr};
  EXPECT_STATUS_CODE(cpu_->run(*op, with_null, {}), StatusCode::kInvalidArgument);
}

TEST_F(CpuErrorsTest, RejectsInputsOfDifferentT) {
  Result<Tensor> r = runOnce(*cpu_, makeSpec("iand", Shape{2}),
                             {spikes(Shape{2}, {"10"}), spikes(Shape{2}, {"10", "01"})});
  EXPECT_THAT(r.status().message(), HasSubstr("different T"));
}

TEST_F(CpuErrorsTest, RejectsWeightsOfWrongSize) {
  OperatorSpec s = makeSpec("linear", Shape{3});
  setWeight(s, "weight", Shape{2, 3}, {1, 2, 3, 4});  // 4 values for 6
  Result<std::unique_ptr<CompiledOperator>> r = cpu_->compile(s);
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("weights.weight"));
  setWeight(s, "weight", Shape{2, 4}, std::vector<float>(8, 1.0f));  // wrong fan-in
  EXPECT_STATUS_CODE(cpu_->compile(s), StatusCode::kInvalidArgument);
  setWeight(s, "weight", Shape{2, 3}, {1, 2, 3, 4, 5, 0.0f / 0.0f});
  EXPECT_THAT(cpu_->compile(s).status().message(), HasSubstr("NaN"));
}

TEST_F(CpuErrorsTest, RejectsUnknownKindAndUnsupportedPrecision) {
  EXPECT_STATUS_CODE(cpu_->compile(makeSpec("softmax", Shape{3})), StatusCode::kNotFound);
  OperatorSpec s = lifSpec();
  s.precision = static_cast<Precision>(7);
  EXPECT_STATUS_CODE(cpu_->compile(s), StatusCode::kUnimplemented);
  EXPECT_STATUS_CODE(cpu_->supports(s), StatusCode::kUnimplemented);
  s = lifSpec();
  s.precision = Precision::kFixed;
  s.frac_bits = 31;
  EXPECT_STATUS_CODE(cpu_->compile(s), StatusCode::kInvalidArgument);
  EXPECT_OK(cpu_->supports(lifSpec()));
}

TEST_F(CpuErrorsTest, RejectsMissingParameterWithFieldPath) {
  OperatorSpec s = makeSpec("lif", Shape{3});
  s.params.set("v_threshold", 1.0);
  Result<std::unique_ptr<CompiledOperator>> r = cpu_->compile(s);
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("params.tau"));
}

TEST_F(CpuErrorsTest, RejectsOperatorCompiledElsewhereAndEncoderTMismatch) {
  class Foreign final : public CompiledOperator {
   public:
    const OperatorSpec& spec() const override { return spec_; }
    OperatorSpec spec_;
  } foreign;
  const Tensor a = floats(Shape{2}, 1, {1, 2});
  std::vector<const Tensor*> in = {&a};
  EXPECT_STATUS_CODE(cpu_->run(foreign, in, {}), StatusCode::kInvalidArgument);
  Result<Tensor> r = runOnce(*cpu_, makeSpec("encode_direct", Shape{2}),
                             {floats(Shape{2}, 2, {1, 2, 3, 4})}, RunContext{1, 5});
  EXPECT_THAT(r.status().message(), HasSubstr("expected 1 or the model's T = 5"));
}

}  // namespace
}  // namespace spikeline::hal
