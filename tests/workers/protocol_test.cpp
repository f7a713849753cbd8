#include "workers/protocol.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"
#include "transport/envelope.h"
#include "wire/codec.h"

namespace spikeline::workers {
namespace {

wire::SpikeFrame sampleFrame() {
  wire::SpikeFrame f;
  f.request_id = 42;
  f.model = ModelRef{"m", 1};
  f.stage = "features";
  f.attempt = 1;
  f.deadline_ns = 123;
  f.reply_to = "tcp://127.0.0.1:9";
  SpikeTensor s(Shape{70}, 3);
  s.set(1, 65);
  f.payload = s;
  return f;
}

TEST(ProtocolTest, RestampChangesOnlyTheAttempt) {
  const wire::SpikeFrame f = sampleFrame();
  ASSERT_OK_AND_ASSIGN(transport::Bytes bytes, encodeBytes(f));
  ASSERT_OK_AND_ASSIGN(transport::Bytes again, restampAttempt(bytes, 3));
  ASSERT_OK_AND_ASSIGN(wire::SpikeFrame back, wire::decodeFrame(again));
  wire::SpikeFrame expected = f;
  expected.attempt = 3;
  EXPECT_EQ(back, expected);
  EXPECT_STATUS_CODE(restampAttempt(transport::Bytes{1, 2, 3}, 2), StatusCode::kInvalidArgument);
}

TEST(ProtocolTest, NackCarriesTheStatusAndOkBecomesInternal) {
  const wire::Ack nack = makeAck(7, 2, "s", wire::AckKind::kNack, unavailable("chip core 3"));
  EXPECT_EQ(nack.code, StatusCode::kUnavailable);
  EXPECT_EQ(nack.message, "chip core 3");
  EXPECT_EQ(makeAck(7, 2, "s", wire::AckKind::kNack).code, StatusCode::kInternal);
  EXPECT_EQ(makeAck(7, 2, "s", wire::AckKind::kReceived).code, StatusCode::kOk);
}

TEST(ProtocolTest, InjectFaultTravelsAsAControlMessage) {
  wire::InjectFault fault{false, 17, false, 5};
  ASSERT_OK_AND_ASSIGN(transport::Multipart parts, controlOnDealer(fault));
  ASSERT_OK_AND_ASSIGN(transport::Envelope e,
                       transport::parseEnvelope(parts, transport::Side::kDealer));
  EXPECT_EQ(e.kind, transport::MessageKind::kControl);
  ASSERT_OK_AND_ASSIGN(wire::Message m, wire::decode(e.payload));
  ASSERT_TRUE(std::holds_alternative<wire::InjectFault>(m));
  EXPECT_EQ(std::get<wire::InjectFault>(m), fault);
}

TEST(ProtocolTest, ControlToPeerAddressesTheSender) {
  ASSERT_OK_AND_ASSIGN(transport::Multipart parts,
                       controlToPeer("enc-0-ab", wire::CreditGrant{9, 16}));
  ASSERT_OK_AND_ASSIGN(transport::Envelope e,
                       transport::parseEnvelope(parts, transport::Side::kRouter));
  EXPECT_EQ(std::string(e.routing_id.begin(), e.routing_id.end()), "enc-0-ab");
  ASSERT_OK_AND_ASSIGN(wire::Message m, wire::decode(e.payload));
  EXPECT_EQ(std::get<wire::CreditGrant>(m), (wire::CreditGrant{9, 16}));
}

}  // namespace
}  // namespace spikeline::workers
