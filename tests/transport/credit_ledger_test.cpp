#include "transport/credit_ledger.h"

#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"

namespace spikeline::transport {
namespace {

constexpr int64_t kMs = 1'000'000;

class CreditLedgerTest : public ::testing::Test {
 protected:
  CreditLedgerTest() : ledger_(clock_, LedgerOptions{300 * kMs}) {
    for (ReplicaId r : {0u, 1u, 2u}) EXPECT_OK(ledger_.addReplica(r));
  }
  void sendN(ReplicaId r, int n) {
    for (int i = 0; i < n; ++i) ASSERT_OK(ledger_.onSent(r));
  }
  testing::FakeClock clock_;
  CreditLedger ledger_;
};

TEST_F(CreditLedgerTest, ReplicaWithoutGrantIsNotPicked) {
  EXPECT_STATUS_CODE(ledger_.pickReplica(), StatusCode::kUnavailable);
  ASSERT_OK(ledger_.onGrant(1, 7, 4));
  ASSERT_OK_AND_ASSIGN(ReplicaId r, ledger_.pickReplica());
  EXPECT_EQ(r, 1u);
}

TEST_F(CreditLedgerTest, PicksReplicaWithMostFreeCredit) {
  ASSERT_OK(ledger_.onGrant(0, 7, 4));
  ASSERT_OK(ledger_.onGrant(1, 8, 10));
  ASSERT_OK(ledger_.onGrant(2, 9, 6));
  sendN(1, 5);  // free: 4, 5, 6
  ASSERT_OK_AND_ASSIGN(ReplicaId r, ledger_.pickReplica());
  EXPECT_EQ(r, 2u);
}

TEST_F(CreditLedgerTest, TiesRotateRoundRobin) {
  for (ReplicaId r : {0u, 1u, 2u}) ASSERT_OK(ledger_.onGrant(r, 10 + r, 100));
  std::vector<ReplicaId> order;
  for (int i = 0; i < 6; ++i) {
    ASSERT_OK_AND_ASSIGN(ReplicaId r, ledger_.pickReplica());
    ASSERT_OK(ledger_.onSent(r));
    order.push_back(r);
  }
  EXPECT_EQ(order, (std::vector<ReplicaId>{0, 1, 2, 0, 1, 2}));
}

TEST_F(CreditLedgerTest, SkipsReplicaMarkedDown) {
  ASSERT_OK(ledger_.onGrant(0, 7, 10));
  ASSERT_OK(ledger_.onGrant(1, 8, 2));
  ledger_.markDown(0);
  ASSERT_OK_AND_ASSIGN(ReplicaId r, ledger_.pickReplica());
  EXPECT_EQ(r, 1u);
  EXPECT_STATUS_CODE(ledger_.onSent(0), StatusCode::kUnavailable);
}

TEST_F(CreditLedgerTest, OverloadedWhenNoReplicaHasCredit) {
  ASSERT_OK(ledger_.onGrant(0, 7, 2));
  ASSERT_OK(ledger_.onGrant(1, 8, 1));
  sendN(0, 2);
  sendN(1, 1);
  EXPECT_STATUS_CODE(ledger_.pickReplica(), StatusCode::kOverloaded);
  EXPECT_STATUS_CODE(ledger_.onSent(0), StatusCode::kOverloaded);
  EXPECT_EQ(ledger_.totalFreeCredit(), 0u);
}

TEST_F(CreditLedgerTest, CumulativeGrantReplenishesAndIgnoresStaleGrant) {
  ASSERT_OK(ledger_.onGrant(0, 7, 2));
  sendN(0, 2);
  ASSERT_OK(ledger_.onGrant(0, 7, 3));  // one frame completed
  ASSERT_OK(ledger_.onGrant(0, 7, 2));  // reordered older grant: no effect
  EXPECT_EQ(ledger_.find(0)->freeCredit(), 1u);
}

TEST_F(CreditLedgerTest, NewIncarnationResetsAccount) {
  ASSERT_OK(ledger_.onGrant(0, 7, 4));
  sendN(0, 4);
  ledger_.markDown(0);
  ASSERT_OK(ledger_.onGrant(0, 99, 4));  // receiver restarted
  const ReplicaCredit* r = ledger_.find(0);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->up);
  EXPECT_EQ(r->sent_total, 0u);
  EXPECT_EQ(r->freeCredit(), 4u);
}

TEST_F(CreditLedgerTest, TriedReplicaIsAvoidedWhileAnotherIsUp) {
  ASSERT_OK(ledger_.onGrant(0, 7, 10));
  ASSERT_OK(ledger_.onGrant(1, 8, 1));
  ASSERT_OK_AND_ASSIGN(ReplicaId first, ledger_.pickReplica({0}));
  EXPECT_EQ(first, 1u);
  sendN(1, 1);
  // Replica 1 is up but out of credit: wait for it rather than retry the suspect replica 0.
  EXPECT_STATUS_CODE(ledger_.pickReplica({0}), StatusCode::kOverloaded);
  ledger_.markDown(1);
  ASSERT_OK_AND_ASSIGN(ReplicaId fallback, ledger_.pickReplica({0}));
  EXPECT_EQ(fallback, 0u);  // the only replica left
}

TEST_F(CreditLedgerTest, SilentReplicaExpires) {
  ASSERT_OK(ledger_.onGrant(0, 7, 4));
  ASSERT_OK(ledger_.onGrant(1, 8, 4));
  clock_.advanceNs(200 * kMs);
  ledger_.onHeard(1);
  clock_.advanceNs(200 * kMs);
  EXPECT_EQ(ledger_.expireSilent(), (ReplicaList{0}));
  EXPECT_FALSE(ledger_.find(0)->up);
  EXPECT_TRUE(ledger_.find(1)->up);
  ASSERT_OK_AND_ASSIGN(ReplicaId r, ledger_.pickReplica());
  EXPECT_EQ(r, 1u);
}

TEST_F(CreditLedgerTest, QuietBusyReplicaIsProbedThenDroppedWithinTheBusyTimeout) {
  ASSERT_OK(ledger_.onGrant(0, 7, 4));
  ASSERT_OK(ledger_.onGrant(1, 8, 4));
  clock_.advanceNs(10 * kMs);
  // Replica 0 holds frames of ours, replica 1 none: only 0 is probed.
  EXPECT_EQ(ledger_.sweepLiveness({0}), (LivenessSweep{{0}, {}}));
  EXPECT_EQ(ledger_.sweepLiveness({0}), (LivenessSweep{}));  // one probe per interval
  clock_.advanceNs(41 * kMs);
  EXPECT_EQ(ledger_.sweepLiveness({0}), (LivenessSweep{{}, {0}}));
  EXPECT_FALSE(ledger_.find(0)->up);
  EXPECT_TRUE(ledger_.find(1)->up);  // idle: the 300 ms rule
  ASSERT_OK(ledger_.onGrant(0, 7, 5));  // it answers after all: back up
  EXPECT_TRUE(ledger_.find(0)->up);
}

TEST_F(CreditLedgerTest, LastLiveReplicaKeepsTheIdleRuleWhenBusy) {
  ASSERT_OK(ledger_.onGrant(0, 7, 4));  // replicas 1 and 2 never granted: down
  clock_.advanceNs(100 * kMs);
  EXPECT_EQ(ledger_.sweepLiveness({0}), (LivenessSweep{}));  // nowhere else to go: no probe
  EXPECT_TRUE(ledger_.find(0)->up);
  clock_.advanceNs(201 * kMs);
  EXPECT_EQ(ledger_.sweepLiveness({0}), (LivenessSweep{{}, {0}}));  // the 300 ms rule
}

TEST_F(CreditLedgerTest, AnsweredProbeKeepsASlowBusyReplicaUp) {
  ASSERT_OK(ledger_.onGrant(0, 7, 4));
  ASSERT_OK(ledger_.onGrant(1, 8, 4));  // somewhere else to go
  clock_.advanceNs(10 * kMs);
  EXPECT_EQ(ledger_.sweepLiveness({0}).probe, (ReplicaList{0}));
  clock_.advanceNs(30 * kMs);
  ledger_.onHeard(0);  // its I/O thread answered while its compute is still busy
  clock_.advanceNs(15 * kMs);
  EXPECT_EQ(ledger_.sweepLiveness({0}), (LivenessSweep{{0}, {}}));
  EXPECT_TRUE(ledger_.find(0)->up);
}

TEST_F(CreditLedgerTest, RejectsUnknownReplicaAndZeroIncarnation) {
  EXPECT_STATUS_CODE(ledger_.onGrant(42, 7, 4), StatusCode::kNotFound);
  EXPECT_STATUS_CODE(ledger_.onGrant(0, 0, 4), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(ledger_.addReplica(0), StatusCode::kAlreadyExists);
  EXPECT_STATUS_CODE(ledger_.onSent(42), StatusCode::kNotFound);
  ASSERT_OK(ledger_.removeReplica(0));
  EXPECT_EQ(ledger_.find(0), nullptr);
}

TEST_F(CreditLedgerTest, InFlightCountsSendsUntilReleased) {
  ASSERT_OK(ledger_.onGrant(0, 7, 4));
  sendN(0, 3);
  ledger_.onReleased(0);
  EXPECT_EQ(ledger_.find(0)->in_flight, 2u);
  EXPECT_EQ(ledger_.find(0)->freeCredit(), 1u);  // credit returns only by grant
}

}  // namespace
}  // namespace spikeline::transport
