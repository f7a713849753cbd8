#include "core/status.h"

#include <gtest/gtest.h>

#include "core/result.h"
#include "tests/support/status_matchers.h"

namespace spikeline {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.isOk());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.toString(), "ok");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = unavailable("chip core 3 failed");
  EXPECT_FALSE(s.isOk());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.toString(), "unavailable: chip core 3 failed");
}

TEST(StatusTest, WithContextPrefixesMessageAndKeepsCode) {
  Status s = invalidArgument("bad shape").withContext("conv1");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "conv1: bad shape");
  EXPECT_TRUE(Status::ok().withContext("x").isOk());
}

TEST(StatusTest, ConstructingWithOkCodeIsOk) {
  EXPECT_TRUE(Status(StatusCode::kOk, "ignored").isOk());
}

Result<int> half(int x) {
  if (x % 2 != 0) return invalidArgument("odd");
  return x / 2;
}

Result<int> quarter(int x) {
  SPIKELINE_ASSIGN_OR_RETURN(int h, half(x));
  return half(h);
}

Status checkEven(int x) {
  SPIKELINE_RETURN_IF_ERROR(half(x).status());
  return Status::ok();
}

TEST(ResultTest, HoldsValueOrError) {
  ASSERT_OK_AND_ASSIGN(int q, quarter(8));
  EXPECT_EQ(q, 2);
  Result<int> r = quarter(6);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().message(), "odd");
  EXPECT_EQ(r.valueOr(-1), -1);
  EXPECT_OK(checkEven(4));
  EXPECT_STATUS_CODE(checkEven(3), StatusCode::kInvalidArgument);
}

TEST(ResultTest, MovesOutMoveOnlyValue) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

}  // namespace
}  // namespace spikeline
