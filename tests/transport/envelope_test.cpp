#include "transport/envelope.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace spikeline::transport {
namespace {

TEST(EnvelopeTest, RouterRoundTrip) {
  Envelope e{Bytes{'w', '1'}, MessageKind::kData, Bytes{1, 2, 3}};
  Multipart parts = toMultipart(e, Side::kRouter);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1], (Bytes{0x01}));
  ASSERT_OK_AND_ASSIGN(Envelope back, parseEnvelope(parts, Side::kRouter));
  EXPECT_EQ(back, e);
}

TEST(EnvelopeTest, DealerRoundTripWithEmptyPayload) {
  Envelope e{{}, MessageKind::kHeartbeat, {}};
  ASSERT_OK_AND_ASSIGN(Envelope back, parseEnvelope(toMultipart(e, Side::kDealer), Side::kDealer));
  EXPECT_EQ(back, e);
}

TEST(EnvelopeTest, RejectsMalformedParts) {
  EXPECT_STATUS_CODE(parseEnvelope({}, Side::kDealer), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(parseEnvelope({Bytes{0x01}, Bytes{}, Bytes{}}, Side::kDealer),
                     StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(parseEnvelope({Bytes{0x07}, Bytes{}}, Side::kDealer),
                     StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(parseEnvelope({Bytes{0x01, 0x01}, Bytes{}}, Side::kDealer),
                     StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(parseEnvelope({Bytes{}, Bytes{0x01}, Bytes{}}, Side::kRouter),
                     StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spikeline::transport
