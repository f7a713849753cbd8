// Every malformed input gets kInvalidArgument with a message naming the problem, never a crash.
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"
#include "wire/codec.h"
#include "wire/testing/raw_message.h"

namespace spikeline::wire {
namespace {

using testing::RawFrame;

// Expects decode(bytes) to fail with kInvalidArgument and a message containing `needle`.
void expectRejected(std::span<const uint8_t> bytes, const std::string& needle) {
  const Result<Message> decoded = decode(bytes);
  ASSERT_FALSE(decoded.isOk()) << "accepted; expected an error about: " << needle;
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument) << decoded.status();
  EXPECT_NE(decoded.status().message().find(needle), std::string::npos)
      << "message \"" << decoded.status().message() << "\" does not mention \"" << needle << "\"";
}

void expectRejected(const WireBuffer& buffer, const std::string& needle) {
  expectRejected(buffer.bytes(), needle);
}

RawFrame bitmapFrame(std::vector<uint32_t> shape, uint32_t t, std::vector<uint64_t> words) {
  RawFrame f;
  f.shape = std::move(shape);
  f.timesteps = t;
  f.kind = RawFrame::Kind::kBitmap;
  f.bitmap = std::move(words);
  return f;
}

RawFrame eventsFrame(uint32_t n, uint32_t t, std::vector<uint32_t> offsets,
                     std::vector<uint32_t> addresses) {
  RawFrame f;
  f.shape = {n};
  f.timesteps = t;
  f.kind = RawFrame::Kind::kEvents;
  f.offsets = std::move(offsets);
  f.addresses = std::move(addresses);
  return f;
}

std::vector<uint8_t> copyBytes(const WireBuffer& buffer) {
  return {buffer.bytes().begin(), buffer.bytes().end()};
}

WireBuffer validFrameBytes() {
  SpikeFrame frame;
  frame.model = ModelRef{"m", 1};
  frame.stage = "s";
  SpikeTensor spikes(Shape{200}, 4);
  for (uint32_t t = 0; t < 4; ++t) spikes.set(t, 3 * t + 1);
  frame.payload = spikes;
  auto encoded = encode(frame, {SpikeEncoding::kBitmap});
  EXPECT_TRUE(encoded.isOk());
  return std::move(encoded).value();
}

TEST(MalformedInputTest, EmptyInput) { expectRejected(std::span<const uint8_t>(), "empty input"); }

TEST(MalformedInputTest, LengthNotAWholeNumberOfWords) {
  std::vector<uint8_t> bytes = copyBytes(validFrameBytes());
  bytes.pop_back();
  expectRejected(bytes, "whole number of 8-byte words");
}

TEST(MalformedInputTest, TruncatedAtEveryWordBoundary) {
  const std::vector<uint8_t> bytes = copyBytes(validFrameBytes());
  for (size_t len = 8; len < bytes.size(); len += 8) {
    SCOPED_TRACE("truncated to " + std::to_string(len) + " bytes");
    expectRejected(std::span<const uint8_t>(bytes.data(), len), "malformed Cap'n Proto message");
  }
}

TEST(MalformedInputTest, TrailingBytesAfterMessage) {
  std::vector<uint8_t> bytes = copyBytes(validFrameBytes());
  bytes.resize(bytes.size() + 16, 0);
  expectRejected(bytes, "trailing bytes");
}

TEST(MalformedInputTest, RandomBytesOfSeveralSizes) {
  for (size_t size : {8u, 16u, 64u, 1000u, 4096u, 65536u}) {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      std::mt19937_64 rng(seed * 7919 + size);
      std::vector<uint8_t> bytes(size);
      for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
      SCOPED_TRACE("size " + std::to_string(size) + " seed " + std::to_string(seed));
      expectRejected(bytes, "malformed Cap'n Proto message");
    }
  }
}

TEST(MalformedInputTest, SegmentTableDeclaresMoreThanTheInput) {
  std::vector<uint8_t> bytes = copyBytes(validFrameBytes());
  const uint32_t huge_segment = 1u << 30;
  std::memcpy(bytes.data() + 4, &huge_segment, sizeof(huge_segment));
  expectRejected(bytes, "malformed Cap'n Proto message");
  const uint32_t many_segments = 1u << 20;
  std::memcpy(bytes.data(), &many_segments, sizeof(many_segments));
  expectRejected(bytes, "malformed Cap'n Proto message");
}

TEST(MalformedInputTest, ListPointerDeclaresOversizedList) {
  std::vector<uint8_t> bytes = copyBytes(encodeRawFrame(bitmapFrame({10}, 2, {1, 2})));
  // Find the bitmap's list pointer (element size code 5 = 8 bytes, 2 elements), claim 2^29-1.
  bool patched = false;
  for (size_t i = 8; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    if ((word & 3) == 1 && (word >> 32) == ((2u << 3) | 5u)) {
      word = (word & 0xffffffffULL) | (uint64_t{(0x1fffffffu << 3) | 5u} << 32);
      std::memcpy(bytes.data() + i, &word, 8);
      patched = true;
    }
  }
  ASSERT_TRUE(patched);
  expectRejected(bytes, "malformed Cap'n Proto message");
}

TEST(MalformedInputTest, EnvelopeWithoutMessageOrOfUnknownKind) {
  expectRejected(testing::encodeEnvelopeKind(0), "envelope holds no message");
  expectRejected(testing::encodeEnvelopeKind(12), "unknown message kind 12");
}

TEST(MalformedInputTest, FramePayloadMissingOrOfUnknownKind) {
  RawFrame f = bitmapFrame({10}, 2, {});
  f.kind = RawFrame::Kind::kUnset;
  expectRejected(encodeRawFrame(f), "payload missing");
  expectRejected(testing::encodeFramePayloadKind(9), "unknown frame payload kind 9");
}

TEST(MalformedInputTest, AbsurdShapeOrTimesteps) {
  expectRejected(encodeRawFrame(bitmapFrame({65536, 65536, 65536, 65536}, 1, {})), "numel");
  expectRejected(encodeRawFrame(bitmapFrame({1u << 27}, 1, {})), "numel");
  expectRejected(encodeRawFrame(bitmapFrame({0}, 1, {})), "numel");
  expectRejected(encodeRawFrame(bitmapFrame({1, 1, 1, 1, 1, 1, 1, 1, 1}, 1, {1})), "rank 9");
  expectRejected(encodeRawFrame(bitmapFrame({10}, 0, {})), "timesteps T = 0");
  expectRejected(encodeRawFrame(bitmapFrame({10}, 5000, {})), "timesteps T = 5000");
  expectRejected(encodeRawFrame(bitmapFrame({1u << 26}, 8, {})), "T*numel");
}

TEST(MalformedInputTest, BitmapLengthInconsistentWithShape) {
  expectRejected(encodeRawFrame(bitmapFrame({100}, 3, {0, 0, 0, 0, 0})),
                 "bitmap has 5 words, expected T*ceil(N/64) = 3*2 = 6");
  expectRejected(encodeRawFrame(bitmapFrame({64}, 2, {0, 0, 0})), "bitmap has 3 words");
}

TEST(MalformedInputTest, BitmapPaddingBitsSet) {
  expectRejected(encodeRawFrame(bitmapFrame({10}, 2, {1, uint64_t{1} << 10})),
                 "padding bits beyond neuron 10 are set in timestep 1");
}

TEST(MalformedInputTest, EventAddressOutOfRange) {
  expectRejected(encodeRawFrame(eventsFrame(50, 2, {0, 1, 2}, {3, 50})),
                 "events address 50 in timestep 1 out of range");
}

TEST(MalformedInputTest, EventOffsetsNotMonotone) {
  expectRejected(encodeRawFrame(eventsFrame(50, 3, {0, 2, 1, 3}, {1, 2, 3})),
                 "offsets not monotone at timestep 1");
}

TEST(MalformedInputTest, EventOffsetsInconsistentWithAddresses) {
  expectRejected(encodeRawFrame(eventsFrame(50, 2, {0, 1, 5}, {1, 2})),
                 "offsets[T] = 5 but addresses has 2 entries");
  expectRejected(encodeRawFrame(eventsFrame(50, 2, {0, 1}, {1})), "expected T+1 = 3");
  expectRejected(encodeRawFrame(eventsFrame(50, 2, {1, 1, 2}, {1, 2})), "offsets[0] = 1");
}

TEST(MalformedInputTest, EventAddressesRepeatedOrUnordered) {
  expectRejected(encodeRawFrame(eventsFrame(50, 1, {0, 2}, {7, 7})), "strictly ascending");
  expectRejected(encodeRawFrame(eventsFrame(50, 1, {0, 2}, {9, 4})), "strictly ascending");
}

TEST(MalformedInputTest, DenseLengthMismatch) {
  RawFrame f;
  f.shape = {4};
  f.timesteps = 2;
  f.kind = RawFrame::Kind::kDenseFloat32;
  f.floats = std::vector<float>(7, 1.0f);
  expectRejected(encodeRawFrame(f), "dense float32 payload has 7 values, expected T*N = 8");
  f.kind = RawFrame::Kind::kDenseInt32;
  f.ints = std::vector<int32_t>(9, 1);
  expectRejected(encodeRawFrame(f), "dense int32 payload has 9 values");
}

TEST(MalformedInputTest, ControlMessagesWithUnknownEnumsOrCodes) {
  expectRejected(testing::encodeNack(0), "nack status code 0 is not an error code");
  expectRejected(testing::encodeNack(42), "nack status code 42");
  expectRejected(testing::encodeErrorReply(-1), "error reply status code -1");
  expectRejected(testing::encodeRegisterWithBackend(9), "register backend kind 9 unknown");
  expectRejected(testing::encodeHeartbeat(NAN, 0), "heartbeat load");
  expectRejected(testing::encodeHeartbeat(-1.0f, 0), "heartbeat load");
  expectRejected(testing::encodeHeartbeat(0.5f, 7), "heartbeat backend health 7 unknown");
  expectRejected(testing::encodeAckKind(0), "ack kind missing");
  expectRejected(testing::encodeAckKind(11), "unknown ack kind 11");
}

TEST(MalformedInputTest, AliasedPointersHitTheTraversalLimit) {
  // 2000 trace hops that all point at one 8 KiB name: ~24 KiB on the wire, 16 MiB to read.
  const WireBuffer bomb = testing::encodeAliasedTrace(2000, 8192);
  EXPECT_LT(bomb.size(), 64u * 1024);
  expectRejected(bomb, "traversal limit");
}

TEST(MalformedInputTest, HugeListOfEmptyStructsHitsTheTraversalLimit) {
  // 2^29 - 1 zero-sized trace entries in one tag word: capnp charges one word each.
  const WireBuffer bomb = testing::encodeEmptyStructListBomb((1u << 29) - 1);
  EXPECT_LT(bomb.size(), 512u);
  expectRejected(bomb, "traversal limit");
}

TEST(MalformedInputTest, PointerCycleIsRejected) {
  expectRejected(testing::encodeSelfReferentialFrame(), "malformed Cap'n Proto message");
}

TEST(MalformedInputTest, PayloadEncodingOfGarbageIsAnError) {
  EXPECT_STATUS_CODE(payloadEncodingOf(std::span<const uint8_t>()), StatusCode::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(WireBuffer credit, encode(CreditGrant{1, 1}));
  EXPECT_STATUS_CODE(payloadEncodingOf(credit.bytes()), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spikeline::wire
