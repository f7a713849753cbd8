#include "core/ids.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace spikeline {
namespace {

TEST(OperatorIdTest, HexRoundTrip) {
  OperatorId id{0x0123456789abcdefULL};
  EXPECT_EQ(id.toHex(), "0123456789abcdef");
  ASSERT_OK_AND_ASSIGN(OperatorId back, OperatorId::fromHex("0123456789ABCDEF"));
  EXPECT_EQ(back, id);
}

TEST(OperatorIdTest, RejectsBadHex) {
  EXPECT_STATUS_CODE(OperatorId::fromHex("123"), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(OperatorId::fromHex("0123456789abcdeg"), StatusCode::kInvalidArgument);
}

TEST(ModelRefTest, FormatsAndOrders) {
  ModelRef a{"scnn", 1}, b{"scnn", 2};
  EXPECT_EQ(a.toString(), "scnn@1");
  EXPECT_LT(a, b);
}

}  // namespace
}  // namespace spikeline
