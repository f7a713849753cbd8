#include "core/operator_spec.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace spikeline {
namespace {

TEST(ParamsTest, TypedLookupsNameTheParameter) {
  Params p;
  p.set("stride", int64_t{2});
  p.set("tau", 0.0025);
  p.set("kernel", std::vector<int64_t>{3, 3});
  ASSERT_OK_AND_ASSIGN(int64_t stride, p.getInt("stride"));
  EXPECT_EQ(stride, 2);
  ASSERT_OK_AND_ASSIGN(double stride_as_real, p.getDouble("stride"));
  EXPECT_EQ(stride_as_real, 2.0);
  Result<int64_t> bad = p.getInt("tau");
  EXPECT_STATUS_CODE(bad, StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("tau"), std::string::npos);
  EXPECT_STATUS_CODE(p.getInt("padding"), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(int64_t padding, p.getIntOr("padding", 0));
  EXPECT_EQ(padding, 0);
  EXPECT_STATUS_CODE(p.getIntOr("tau", 0), StatusCode::kInvalidArgument);
}

TEST(PrecisionTest, ParsesNames) {
  ASSERT_OK_AND_ASSIGN(Precision p, parsePrecision("fixed"));
  EXPECT_EQ(p, Precision::kFixed);
  EXPECT_EQ(precisionName(p), "fixed");
  EXPECT_STATUS_CODE(parsePrecision("int4"), StatusCode::kInvalidArgument);
}

TEST(BackendKindTest, ParsesNames) {
  ASSERT_OK_AND_ASSIGN(BackendKind k, parseBackendKind("chip"));
  EXPECT_EQ(k, BackendKind::kChip);
  EXPECT_STATUS_CODE(parseBackendKind("tpu"), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spikeline
