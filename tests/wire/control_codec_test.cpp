#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"
#include "wire/codec.h"

namespace spikeline::wire {
namespace {

// Encodes, decodes, and expects the same message back (same alternative, equal fields).
void expectRoundTrip(const Message& message) {
  ASSERT_OK_AND_ASSIGN(WireBuffer buffer, encode(message));
  EXPECT_EQ(buffer.size() % 8, 0u);
  ASSERT_OK_AND_ASSIGN(Message decoded, decode(buffer.bytes()));
  EXPECT_EQ(decoded.index(), message.index());
  EXPECT_TRUE(decoded == message);
}

TEST(ControlCodecTest, RegisterWorkerRoundTrips) {
  expectRoundTrip(RegisterWorker{WorkerId{"chip-0"},
                                 BackendKind::kChip,
                                 64,
                                 "tcp://10.0.0.5:7001",
                                 "node-a",
                                 {Precision::kFixed, Precision::kFloat32}});
  expectRoundTrip(RegisterWorker{WorkerId{"cpu-1"}, BackendKind::kCpu, 1, "ipc:///tmp/w", "", {}});
}

TEST(ControlCodecTest, HeartbeatRoundTrips) {
  expectRoundTrip(Heartbeat{WorkerId{"chip-0"}, 41, 0.75f, BackendHealth::kDegraded, {3, 17}});
  expectRoundTrip(Heartbeat{WorkerId{"cuda-0"}, 0, 0.0f, BackendHealth::kHealthy, {}});
}

TEST(ControlCodecTest, DeregisterRoundTrips) {
  expectRoundTrip(Deregister{WorkerId{"cpu-3"}, "shutting down: SIGTERM"});
}

TEST(ControlCodecTest, HardwareFaultRoundTrips) {
  expectRoundTrip(HardwareFault{WorkerId{"chip-1"},
                                BackendKind::kChip,
                                {0, 5, 6},
                                false,
                                "core 5 parity error",
                                1'700'000'000'000'000'000});
  expectRoundTrip(HardwareFault{WorkerId{"chip-2"}, BackendKind::kChip, {}, true, "link down", 1});
}

TEST(ControlCodecTest, CreditGrantRoundTrips) {
  expectRoundTrip(CreditGrant{0x9e3779b97f4a7c15ULL, 16});
  expectRoundTrip(CreditGrant{1, 0});
}

TEST(ControlCodecTest, AckOfEveryKindRoundTrips) {
  expectRoundTrip(Ack{99, 1, "conv1", AckKind::kReceived, StatusCode::kOk, ""});
  expectRoundTrip(Ack{99, 1, "conv1", AckKind::kHandedOn, StatusCode::kOk, ""});
  expectRoundTrip(
      Ack{99, 2, "lif1", AckKind::kNack, StatusCode::kUnavailable, "chip core 3 failed"});
  expectRoundTrip(Ack{7, 0, "fc", AckKind::kNack, StatusCode::kOverloaded, "no credit"});
}

TEST(ControlCodecTest, AckWithoutValidCodeIsNotEncoded) {
  EXPECT_STATUS_CODE(encode(Ack{1, 0, "s", AckKind::kNack, StatusCode::kOk, "x"}),
                     StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(encode(Ack{1, 0, "s", AckKind::kReceived, StatusCode::kInternal, ""}),
                     StatusCode::kInvalidArgument);
}

TEST(ControlCodecTest, RouteTableRoundTrips) {
  RouteTable table;
  table.epoch = 12;
  table.models.push_back(ModelRoute{
      ModelRef{"fmnist-scnn", 3},
      {StageRoute{"enc", OperatorId{0x1111}, {Replica{WorkerId{"cpu-0"}, "tcp://a:1"}}},
       StageRoute{
           "conv",
           OperatorId{0xffffffffffffffffULL},
           {Replica{WorkerId{"chip-0"}, "tcp://b:2"}, Replica{WorkerId{"cuda-0"}, "tcp://c:3"}}},
       StageRoute{"readout", OperatorId{0x2222}, {}}}});
  table.models.push_back(ModelRoute{ModelRef{"shd-rsnn", 1}, {}});
  expectRoundTrip(table);
  expectRoundTrip(RouteTable{});
}

TEST(ControlCodecTest, LargeRouteTableSpanningSeveralSegmentsRoundTrips) {
  RouteTable table;
  table.epoch = 99;
  for (uint32_t m = 0; m < 20; ++m) {
    ModelRoute model{ModelRef{"model-" + std::to_string(m), m}, {}};
    for (uint32_t s = 0; s < 10; ++s) {
      StageRoute stage{"stage-" + std::to_string(s), OperatorId{m * 100u + s}, {}};
      for (uint32_t r = 0; r < 3; ++r) {
        stage.replicas.push_back(Replica{WorkerId{"worker-" + std::to_string(r)},
                                         "tcp://node-" + std::to_string(r) + ".example:7001"});
      }
      model.stages.push_back(std::move(stage));
    }
    table.models.push_back(std::move(model));
  }
  ASSERT_OK_AND_ASSIGN(WireBuffer buffer, encode(table));
  uint32_t segments_minus_one = 0;
  std::memcpy(&segments_minus_one, buffer.bytes().data(), sizeof(segments_minus_one));
  EXPECT_GT(segments_minus_one, 0u);  // the first segment (256 words) overflowed
  ASSERT_OK_AND_ASSIGN(Message decoded, decode(buffer.bytes()));
  EXPECT_TRUE(decoded == Message(table));
}

TEST(ControlCodecTest, ErrorReplyRoundTrips) {
  expectRoundTrip(
      ErrorReply{5, StatusCode::kDeadlineExceeded, "deadline passed at conv2", "conv2"});
  expectRoundTrip(ErrorReply{6, StatusCode::kInvalidArgument, "wire decode: bad frame", ""});
  EXPECT_STATUS_CODE(encode(ErrorReply{6, StatusCode::kOk, "", ""}), StatusCode::kInvalidArgument);
}

TEST(ControlCodecTest, DecodeFrameRejectsControlMessage) {
  ASSERT_OK_AND_ASSIGN(WireBuffer buffer, encode(CreditGrant{1, 3}));
  const auto frame = decodeFrame(buffer.bytes());
  EXPECT_STATUS_CODE(frame, StatusCode::kInvalidArgument);
  EXPECT_NE(frame.status().message().find("expected a spike frame"), std::string::npos);
}

}  // namespace
}  // namespace spikeline::wire
