#include "transport/custody_table.h"

#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"

namespace spikeline::transport {
namespace {

constexpr int64_t kMs = 1'000'000;

class CustodyTableTest : public ::testing::Test {
 protected:
  CustodyTableTest() : table_(clock_, CustodyOptions{50 * kMs, 2000 * kMs, 3}) {}
  uint32_t send(RequestId id, ReplicaId replica) {
    Result<uint32_t> attempt = table_.onSent(id, replica);
    EXPECT_OK(attempt);
    return attempt.valueOr(0);
  }
  testing::FakeClock clock_;
  CustodyTable table_;
};

TEST_F(CustodyTableTest, NewFrameIsOfferedForSending) {
  ASSERT_OK(table_.hold(1, Bytes{1, 2, 3}));
  std::vector<CustodyAction> actions = table_.expired();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, CustodyAction::Kind::kSend);
  EXPECT_EQ(actions[0].request_id, 1u);
  EXPECT_TRUE(actions[0].avoid.empty());
  EXPECT_EQ(table_.find(1)->payload, (Bytes{1, 2, 3}));
}

TEST_F(CustodyTableTest, FailAllFailsEveryHeldFrameWithTheReason) {
  ASSERT_OK(table_.hold(1, Bytes{1}));
  ASSERT_OK(table_.hold(2, Bytes{2}));
  send(2, 0);
  EXPECT_EQ(table_.failAll(unavailable("stage 'x' has no replica")), 2u);
  std::vector<CustodyAction> actions = table_.expired();
  ASSERT_EQ(actions.size(), 2u);
  for (const CustodyAction& a : actions) {
    EXPECT_EQ(a.kind, CustodyAction::Kind::kFail);
    EXPECT_EQ(a.error.code(), StatusCode::kUnavailable);
    EXPECT_NE(a.error.message().find("stage 'x' has no replica"), std::string::npos);
  }
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(CustodyTableTest, HeldUntilHandedOn) {
  ASSERT_OK(table_.hold(1, Bytes{9}));
  uint32_t attempt = send(1, 0);
  EXPECT_EQ(attempt, 1u);
  EXPECT_EQ(table_.onReceived(1, attempt).outcome, AckOutcome::kApplied);
  EXPECT_EQ(table_.find(1)->state, CustodyState::kAwaitingHandedOn);
  clock_.advanceNs(1000 * kMs);  // well past the received timeout: no action once received
  EXPECT_TRUE(table_.expired().empty());
  AckResult done = table_.onHandedOn(1, attempt);
  EXPECT_EQ(done.outcome, AckOutcome::kApplied);
  EXPECT_EQ(done.replica, 0u);
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(CustodyTableTest, MissingReceivedResendsAvoidingTriedReplica) {
  ASSERT_OK(table_.hold(1, Bytes{9}));
  send(1, 0);
  EXPECT_TRUE(table_.expired().empty());
  clock_.advanceNs(50 * kMs);
  std::vector<CustodyAction> actions = table_.expired();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, CustodyAction::Kind::kSend);
  EXPECT_EQ(actions[0].avoid, (ReplicaList{0}));
  EXPECT_EQ(send(1, 1), 2u);
}

TEST_F(CustodyTableTest, LateReceivedOfSupersededAttemptIsIgnored) {
  ASSERT_OK(table_.hold(1, Bytes{9}));
  uint32_t first = send(1, 0);
  clock_.advanceNs(60 * kMs);
  ASSERT_EQ(table_.expired().size(), 1u);
  uint32_t second = send(1, 1);
  AckResult late = table_.onReceived(1, first);
  EXPECT_EQ(late.outcome, AckOutcome::kStale);
  EXPECT_EQ(late.replica, 0u);
  EXPECT_EQ(table_.find(1)->state, CustodyState::kAwaitingReceived);
  EXPECT_EQ(table_.onNack(1, first, StatusCode::kInvalidArgument).outcome, AckOutcome::kStale);
  EXPECT_EQ(table_.onReceived(1, second).outcome, AckOutcome::kApplied);
}

TEST_F(CustodyTableTest, LateHandedOnOfSupersededAttemptReleasesFrame) {
  ASSERT_OK(table_.hold(1, Bytes{9}));
  uint32_t first = send(1, 0);
  clock_.advanceNs(60 * kMs);
  ASSERT_EQ(table_.expired().size(), 1u);
  send(1, 1);
  AckResult done = table_.onHandedOn(1, first);
  EXPECT_EQ(done.outcome, AckOutcome::kApplied);
  EXPECT_EQ(done.replica, 0u);
  EXPECT_EQ(table_.find(1), nullptr);
  EXPECT_EQ(table_.onHandedOn(1, 2).outcome, AckOutcome::kUnknown);
}

TEST_F(CustodyTableTest, UnavailableNackResendsAtOnce) {
  ASSERT_OK(table_.hold(1, Bytes{9}));
  uint32_t attempt = send(1, 2);
  EXPECT_EQ(table_.onNack(1, attempt, StatusCode::kUnavailable).outcome, AckOutcome::kApplied);
  std::vector<CustodyAction> actions = table_.expired();  // no time passed
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, CustodyAction::Kind::kSend);
  EXPECT_EQ(actions[0].avoid, (ReplicaList{2}));
}

TEST_F(CustodyTableTest, PermanentNackFailsWithItsCode) {
  ASSERT_OK(table_.hold(1, Bytes{9}));
  uint32_t attempt = send(1, 0);
  table_.onNack(1, attempt, StatusCode::kInvalidArgument);
  std::vector<CustodyAction> actions = table_.expired();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, CustodyAction::Kind::kFail);
  EXPECT_STATUS_CODE(actions[0].error, StatusCode::kInvalidArgument);
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(CustodyTableTest, ReplicaDownMakesItsFramesDue) {
  ASSERT_OK(table_.hold(1, Bytes{1}));
  ASSERT_OK(table_.hold(2, Bytes{2}));
  ASSERT_OK(table_.hold(3, Bytes{3}));
  send(1, 0);
  table_.onReceived(1, 1);  // received, awaiting handed-on: still re-sent when 0 dies
  send(2, 1);
  send(3, 0);
  EXPECT_EQ(table_.onReplicaDown(0), 2u);
  std::vector<CustodyAction> actions = table_.expired();
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[0].request_id, 1u);
  EXPECT_EQ(actions[1].request_id, 3u);
}

TEST_F(CustodyTableTest, BusyReplicasAreThoseHoldingSentFrames) {
  ASSERT_OK(table_.hold(1, Bytes{1}));
  ASSERT_OK(table_.hold(2, Bytes{2}));
  ASSERT_OK(table_.hold(3, Bytes{3}));
  ASSERT_OK(table_.hold(4, Bytes{4}));  // pending: at no replica
  send(1, 2);
  table_.onReceived(1, 1);  // received, not handed on: replica 2 still holds it
  send(2, 0);
  send(3, 2);
  EXPECT_EQ(table_.busyReplicas(), (ReplicaList{0, 2}));
  table_.onHandedOn(2, 1);
  EXPECT_EQ(table_.busyReplicas(), (ReplicaList{2}));
  table_.onReplicaDown(2);  // due for re-send: no longer waits on replica 2
  EXPECT_EQ(table_.busyReplicas(), (ReplicaList{}));
}

TEST_F(CustodyTableTest, FailsAfterMaxAttempts) {
  ASSERT_OK(table_.hold(1, Bytes{9}));
  for (ReplicaId r : {0u, 1u, 2u}) {
    send(1, r);
    clock_.advanceNs(1000 * kMs);  // past the (doubling) received timeout
    std::vector<CustodyAction> actions = table_.expired();
    ASSERT_EQ(actions.size(), 1u);
    if (r < 2) {
      EXPECT_EQ(actions[0].kind, CustodyAction::Kind::kSend);
    } else {
      EXPECT_EQ(actions[0].kind, CustodyAction::Kind::kFail);
      EXPECT_STATUS_CODE(actions[0].error, StatusCode::kUnavailable);
    }
  }
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(CustodyTableTest, ReceivedTimeoutDoublesAfterEachSend) {
  ASSERT_OK(table_.hold(1, Bytes{9}));
  int64_t waited = 0;
  for (uint32_t attempt = 1; attempt <= 2; ++attempt) {
    send(1, attempt - 1);
    const int64_t timeout = (50 * kMs) << (attempt - 1);  // 50, then 100 ms
    clock_.advanceNs(timeout - 1);
    EXPECT_TRUE(table_.expired().empty()) << "attempt " << attempt;
    clock_.advanceNs(1);
    EXPECT_EQ(table_.expired().size(), 1u) << "attempt " << attempt;
    waited += timeout;
  }
  EXPECT_EQ(waited, 150 * kMs);
}

TEST_F(CustodyTableTest, WaitingForCreditBurnsNoAttemptButDeadlineStillApplies) {
  ASSERT_OK(table_.hold(1, Bytes{9}, clock_.monotonicNs() + 500 * kMs));
  for (int i = 0; i < 5; ++i) {
    clock_.advanceNs(60 * kMs);
    ASSERT_EQ(table_.expired().size(), 1u);  // offered again; caller had no credit
  }
  EXPECT_EQ(table_.find(1)->attempt, 0u);
  clock_.advanceNs(300 * kMs);
  std::vector<CustodyAction> actions = table_.expired();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, CustodyAction::Kind::kFail);
  EXPECT_STATUS_CODE(actions[0].error, StatusCode::kDeadlineExceeded);
}

TEST_F(CustodyTableTest, DuplicateHoldIsRejected) {
  ASSERT_OK(table_.hold(1, Bytes{9}));
  EXPECT_STATUS_CODE(table_.hold(1, Bytes{9}), StatusCode::kAlreadyExists);
  EXPECT_STATUS_CODE(table_.onSent(2, 0), StatusCode::kNotFound);
  EXPECT_EQ(table_.onReceived(2, 1).outcome, AckOutcome::kUnknown);
}

TEST_F(CustodyTableTest, HandedOnTimeoutResends) {
  ASSERT_OK(table_.hold(1, Bytes{9}));
  send(1, 0);
  table_.onReceived(1, 1);
  clock_.advanceNs(1999 * kMs);
  EXPECT_TRUE(table_.expired().empty());
  clock_.advanceNs(2 * kMs);
  ASSERT_EQ(table_.expired().size(), 1u);
}

}  // namespace
}  // namespace spikeline::transport
