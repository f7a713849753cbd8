#include "transport/data_socket.h"

#include <gtest/gtest.h>

#include <functional>

#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"
#include "tests/transport/test_peers.h"
#include "transport/dedup_window.h"
#include "transport/envelope.h"

namespace spikeline::transport {
namespace {

using testpeers::TestReceiver;
using testpeers::TestSender;

constexpr int64_t kMs = 1'000'000;

// Runs `step` until `done` holds; false after max_steps (each step blocks at most ~10 ms).
bool runUntil(const std::function<bool()>& done, const std::function<void()>& step,
              int max_steps = 1000) {
  for (int i = 0; i < max_steps; ++i) {
    if (done()) return true;
    step();
  }
  return done();
}

std::unique_ptr<TransportContext> context() {
  auto ctx = makeTransportContext();
  EXPECT_OK(ctx);
  return std::move(ctx).value();
}

TEST(DataSocketTest, RoundTripOverTcpWildcardPort) {
  auto ctx = context();
  ASSERT_OK_AND_ASSIGN(auto server, makeDataSocket(*ctx, SocketRole::kReceiver));
  ASSERT_OK(server->bind("tcp://127.0.0.1:*"));
  ASSERT_OK_AND_ASSIGN(std::string endpoint, server->lastEndpoint());
  EXPECT_EQ(endpoint.find('*'), std::string::npos) << endpoint;
  ASSERT_OK_AND_ASSIGN(auto client,
                       makeDataSocket(*ctx, SocketRole::kSender, SocketOptions{"client-7"}));
  ASSERT_OK(client->connect(endpoint));

  Envelope request{{}, MessageKind::kData, Bytes(1024, 0xab)};
  ASSERT_TRUE(runUntil([&] { return client->send(toMultipart(request, Side::kDealer)).isOk(); },
                       [&] { (void)client->recv(5); }));
  ASSERT_OK_AND_ASSIGN(Multipart got, server->recv(5000));
  ASSERT_OK_AND_ASSIGN(Envelope in, parseEnvelope(std::move(got), Side::kRouter));
  EXPECT_EQ(std::string(in.routing_id.begin(), in.routing_id.end()), "client-7");
  EXPECT_EQ(in.payload, request.payload);

  Envelope reply{in.routing_id, MessageKind::kControl, Bytes{1, 2, 3}};
  ASSERT_OK(server->send(toMultipart(reply, Side::kRouter)));
  ASSERT_OK_AND_ASSIGN(Multipart back, client->recv(5000));
  ASSERT_OK_AND_ASSIGN(Envelope out, parseEnvelope(std::move(back), Side::kDealer));
  EXPECT_EQ(out.kind, MessageKind::kControl);
  EXPECT_EQ(out.payload, (Bytes{1, 2, 3}));
}

TEST(DataSocketTest, ReplyToUnknownPeerIsUnavailableNotDropped) {
  auto ctx = context();
  ASSERT_OK_AND_ASSIGN(auto server, makeDataSocket(*ctx, SocketRole::kReceiver));
  ASSERT_OK(server->bind("tcp://127.0.0.1:*"));
  EXPECT_STATUS_CODE(server->send({Bytes{'n', 'o'}, Bytes{0x02}, Bytes{}}),
                     StatusCode::kUnavailable);
}

TEST(DataSocketTest, SenderWithoutLiveConnectionIsUnavailable) {
  auto ctx = context();
  ASSERT_OK_AND_ASSIGN(auto client, makeDataSocket(*ctx, SocketRole::kSender));
  ASSERT_OK(client->connect("ipc:///tmp/spikeline-transport-test-nobody-listens"));
  EXPECT_STATUS_CODE(client->send({Bytes{0x01}, Bytes{}}), StatusCode::kUnavailable);
  EXPECT_STATUS_CODE(client->recv(0), StatusCode::kDeadlineExceeded);
}

TEST(DataSocketTest, RejectsBadEndpoint) {
  auto ctx = context();
  ASSERT_OK_AND_ASSIGN(auto server, makeDataSocket(*ctx, SocketRole::kReceiver));
  EXPECT_FALSE(server->bind("nonsense://x").isOk());
  EXPECT_STATUS_CODE(server->send({}), StatusCode::kInvalidArgument);
}

TEST(CreditFlowTest, SenderNeverExceedsGrantedCreditUnderBurst) {
  testing::FakeClock clock;
  auto ctx = context();
  TestReceiver receiver(*ctx, clock, 11, 4);
  TestSender sender(*ctx, clock, {receiver.endpoint()});
  ASSERT_TRUE(runUntil([&] { return sender.ledger().totalFreeCredit() == 4; },
                       [&] {
                         sender.heartbeat();
                         receiver.pump(5);
                         sender.pump(5);
                       }));
  constexpr RequestId kFrames = 60;
  for (RequestId id = 1; id <= kFrames; ++id) ASSERT_OK(sender.submit(id, false));
  // The burst fills the window before anything completes (so the test does not depend on how
  // the loopback schedules the first frames against the first completions).
  ASSERT_TRUE(runUntil([&] { return receiver.max_held == 4; },
                       [&] {
                         sender.pump(5);
                         receiver.pump(5);
                       }));
  ASSERT_TRUE(runUntil([&] { return sender.handed_on.size() == kFrames; },
                       [&] {
                         sender.pump(5);
                         receiver.pump(5);
                         receiver.completeOne();
                       }));
  EXPECT_EQ(receiver.rejected, 0);
  EXPECT_LE(receiver.max_held, 4u);
  EXPECT_EQ(receiver.max_held, 4u);      // the burst did fill the window
  EXPECT_GT(sender.no_credit_picks, 0);  // ... and the sender waited for credit
  EXPECT_EQ(receiver.arrived, kFrames);
  EXPECT_TRUE(sender.failures.empty());
}

TEST(CreditFlowTest, OverloadedReportedWhenNoCredit) {
  testing::FakeClock clock;
  auto ctx = context();
  TestReceiver receiver(*ctx, clock, 11, 2);
  TestSender sender(*ctx, clock, {receiver.endpoint()});
  ASSERT_TRUE(runUntil([&] { return sender.ledger().totalFreeCredit() == 2; },
                       [&] {
                         sender.heartbeat();
                         receiver.pump(5);
                         sender.pump(5);
                       }));
  ASSERT_OK(sender.submit(1, true));
  ASSERT_OK(sender.submit(2, true));
  sender.pump(0);  // both sent against the two credits
  EXPECT_STATUS_CODE(sender.submit(3, true), StatusCode::kOverloaded);
  ASSERT_TRUE(runUntil([&] { return receiver.arrived == 2; }, [&] { receiver.pump(10); }));
  receiver.completeOne();
  ASSERT_TRUE(
      runUntil([&] { return sender.ledger().totalFreeCredit() == 1; }, [&] { sender.pump(10); }));
  EXPECT_OK(sender.submit(3, true));
}

TEST(CustodyFlowTest, ResendsToOtherReplicaWhenReceiverClosedMidStream) {
  testing::FakeClock clock;
  auto ctx = context();
  TestReceiver a(*ctx, clock, 21, 8);
  TestReceiver b(*ctx, clock, 22, 8);
  TestSender sender(*ctx, clock, {a.endpoint(), b.endpoint()});
  ASSERT_TRUE(runUntil([&] { return sender.ledger().totalFreeCredit() == 16; },
                       [&] {
                         sender.heartbeat();
                         a.pump(5);
                         b.pump(5);
                         sender.pump(5);
                       }));
  constexpr RequestId kFrames = 40;
  for (RequestId id = 1; id <= kFrames; ++id) ASSERT_OK(sender.submit(id, false));
  // Mid-stream: A has received frames it will never hand on, B works normally.
  ASSERT_TRUE(runUntil([&] { return a.arrived >= 4; },
                       [&] {
                         sender.pump(5);
                         a.pump(5);
                         b.pump(5);
                         b.completeOne();
                       }));
  const size_t stranded = a.arrived;
  a.close();
  ASSERT_TRUE(runUntil(
      [&] { return sender.handed_on.size() == kFrames; },
      [&] {
        sender.pump(5);
        b.pump(5);
        if (!b.completeOne()) {
          clock.advanceNs(100 * kMs);  // no progress: time passes; B stays alive, A falls silent
          b.announceGrants();
        }
      },
      3000));
  EXPECT_TRUE(sender.failures.empty());
  EXPECT_EQ(sender.custody().size(), 0u);
  EXPECT_GE(static_cast<size_t>(sender.resends), stranded);
  std::set<RequestId> done_by_b(b.completed().begin(), b.completed().end());
  for (RequestId id = 1; id <= kFrames; ++id) EXPECT_EQ(done_by_b.count(id), 1u) << id;
}

TEST(CustodyFlowTest, DuplicatesFromResendAreDeliveredOnce) {
  testing::FakeClock clock;
  auto ctx = context();
  TestReceiver slow(*ctx, clock, 31, 8);
  TestReceiver fast(*ctx, clock, 32, 8);
  slow.ack_received = false;  // `received` never comes: the sender must re-send elsewhere
  TestSender sender(*ctx, clock, {slow.endpoint(), fast.endpoint()});
  ASSERT_TRUE(runUntil([&] { return sender.ledger().totalFreeCredit() == 16; },
                       [&] {
                         sender.heartbeat();
                         slow.pump(5);
                         fast.pump(5);
                         sender.pump(5);
                       }));
  constexpr RequestId kFrames = 10;
  for (RequestId id = 1; id <= kFrames; ++id) ASSERT_OK(sender.submit(id, false));
  ASSERT_TRUE(runUntil([&] { return slow.arrived + fast.arrived == kFrames; },
                       [&] {
                         sender.pump(5);
                         slow.pump(5);
                         fast.pump(5);
                       }));
  ASSERT_GT(slow.arrived, 0u);
  auto handed_to_fast = [&] {
    size_t n = 0;
    for (RequestId id = 1; id <= kFrames; ++id) {
      n += sender.custody().find(id)->state == CustodyState::kAwaitingHandedOn ? 1 : 0;
    }
    return n;
  };
  // Every `received` from the fast replica is in before time moves on.
  ASSERT_TRUE(runUntil([&] { return handed_to_fast() == fast.arrived; }, [&] { sender.pump(5); }));
  clock.advanceNs(60 * kMs);  // past the received timeout, well within liveness
  ASSERT_TRUE(runUntil([&] { return sender.handed_on.size() == kFrames; },
                       [&] {
                         sender.pump(5);
                         fast.pump(5);
                         fast.completeOne();
                       }));
  while (slow.completeOne()) {  // the hung replica recovers and finishes its copies too
  }
  // The client sees every result from both replicas and keeps exactly one per request.
  DedupWindow dedup(64);
  size_t first = 0;
  size_t duplicates = 0;
  for (const auto* done : {&fast.completed(), &slow.completed()}) {
    for (RequestId id : *done) {
      (dedup.offer(id) == DedupVerdict::kFirst ? first : duplicates) += 1;
    }
  }
  EXPECT_EQ(first, kFrames);
  EXPECT_EQ(duplicates, slow.arrived);
  EXPECT_EQ(sender.resends, static_cast<int>(slow.arrived));
  EXPECT_TRUE(sender.failures.empty());
}

}  // namespace
}  // namespace spikeline::transport
