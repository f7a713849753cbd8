#include "transport/credit_grantor.h"

#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"

namespace spikeline::transport {
namespace {

constexpr int64_t kMs = 1'000'000;

TEST(CreditGrantorTest, FirstContactGrantsWindow) {
  testing::FakeClock clock;
  CreditGrantor grantor(clock, GrantorOptions{77, 4, 300 * kMs});
  Grant g = grantor.onHeard("a");
  EXPECT_NE(g.incarnation, 0u);
  EXPECT_EQ(g.granted_total, 4u);
}

TEST(CreditGrantorTest, RejectsFramesBeyondCredit) {
  testing::FakeClock clock;
  CreditGrantor grantor(clock, GrantorOptions{77, 2, 300 * kMs});
  ASSERT_OK(grantor.onArrived("a"));
  ASSERT_OK(grantor.onArrived("a"));
  EXPECT_STATUS_CODE(grantor.onArrived("a"), StatusCode::kOverloaded);
  EXPECT_EQ(grantor.held("a"), 2u);
  ASSERT_OK(grantor.onArrived("b"));  // accounts are per sender
}

TEST(CreditGrantorTest, CompletionReturnsOneCredit) {
  testing::FakeClock clock;
  CreditGrantor grantor(clock, GrantorOptions{77, 1, 300 * kMs});
  ASSERT_OK(grantor.onArrived("a"));
  ASSERT_OK_AND_ASSIGN(Grant g, grantor.onCompleted("a"));
  EXPECT_EQ(g.granted_total, 2u);
  EXPECT_EQ(grantor.held("a"), 0u);
  ASSERT_OK(grantor.onArrived("a"));
  EXPECT_STATUS_CODE(grantor.onArrived("a"), StatusCode::kOverloaded);
}

TEST(CreditGrantorTest, ForgetsSilentSenderAndReopensWithNewIncarnation) {
  testing::FakeClock clock;
  CreditGrantor grantor(clock, GrantorOptions{77, 2, 300 * kMs});
  Grant first = grantor.onHeard("a");
  ASSERT_OK(grantor.onArrived("a"));
  ASSERT_OK(grantor.onArrived("a"));
  clock.advanceNs(200 * kMs);
  grantor.onHeard("b");
  clock.advanceNs(200 * kMs);
  EXPECT_EQ(grantor.forgetSilent(), (std::vector<SenderId>{"a"}));
  EXPECT_EQ(grantor.senders(), (std::vector<SenderId>{"b"}));
  EXPECT_STATUS_CODE(grantor.onCompleted("a"), StatusCode::kNotFound);
  Grant again = grantor.onHeard("a");
  EXPECT_NE(again.incarnation, first.incarnation);  // the sender must reset its count
  EXPECT_EQ(again.granted_total, 2u);
}

}  // namespace
}  // namespace spikeline::transport
