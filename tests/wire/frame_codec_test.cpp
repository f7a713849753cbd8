#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/random_tensors.h"
#include "tests/support/status_matchers.h"
#include "wire/codec.h"

namespace spikeline::wire {
namespace {

SpikeFrame makeFrame(Tensor payload) {
  SpikeFrame f;
  f.request_id = 0x1234567890abcdefULL;
  f.model = ModelRef{"fmnist-scnn", 3};
  f.target = OperatorId{0xfeedfacecafebeefULL};
  f.stage = "conv1";
  f.attempt = 2;
  f.deadline_ns = 1'700'000'000'123'456'789;
  f.reply_to = "tcp://10.0.0.7:6000";
  f.trace = {{"loadgen", 10, 20}, {"chip-0", 30, 40}};
  f.payload = std::move(payload);
  return f;
}

struct ShapeCase {
  Shape shape;
  uint32_t timesteps;
};

class SpikeRoundTripTest : public ::testing::TestWithParam<std::tuple<ShapeCase, double>> {};

TEST_P(SpikeRoundTripTest, DecodesIdenticalTensorAndPicksSmallerEncoding) {
  const auto& [shape_case, density] = GetParam();
  const SpikeTensor spikes = testing::randomSpikes(shape_case.shape, shape_case.timesteps, density,
                                                   42 + shape_case.timesteps);
  const SpikeFrame frame = makeFrame(spikes);

  ASSERT_OK_AND_ASSIGN(WireBuffer chosen, encode(frame));
  ASSERT_OK_AND_ASSIGN(WireBuffer bitmap, encode(frame, {SpikeEncoding::kBitmap}));
  ASSERT_OK_AND_ASSIGN(WireBuffer events, encode(frame, {SpikeEncoding::kEvents}));

  // The automatic choice is the smaller real encoding (ties: bitmap) ...
  EXPECT_EQ(chosen.size(), std::min(bitmap.size(), events.size()));
  ASSERT_OK_AND_ASSIGN(PayloadEncoding kind, payloadEncodingOf(chosen.bytes()));
  EXPECT_EQ(kind,
            events.size() < bitmap.size() ? PayloadEncoding::kEvents : PayloadEncoding::kBitmap);
  // ... and the size formulas are exact, not estimates.
  EXPECT_EQ(int64_t(bitmap.size()) - int64_t(events.size()),
            8 * (int64_t(bitmapPayloadWords(spikes)) - int64_t(eventsPayloadWords(spikes))));

  for (const WireBuffer* buffer : {&chosen, &bitmap, &events}) {
    ASSERT_OK_AND_ASSIGN(SpikeFrame decoded, decodeFrame(buffer->bytes()));
    EXPECT_EQ(decoded, frame);
  }
}

std::string shapeCaseName(const ::testing::TestParamInfo<std::tuple<ShapeCase, double>>& info) {
  const auto& [c, density] = info.param;
  std::string name = "N" + std::to_string(c.shape.numel()) + "T" + std::to_string(c.timesteps) +
                     "D" + std::to_string(int(density * 100 + 0.5));
  return name;
}

INSTANTIATE_TEST_SUITE_P(
    ShapesAndDensities, SpikeRoundTripTest,
    ::testing::Combine(::testing::Values(ShapeCase{Shape{784}, 8}, ShapeCase{Shape{1}, 1},
                                         ShapeCase{Shape{1}, 16}, ShapeCase{Shape{100}, 1},
                                         ShapeCase{Shape{64}, 5}, ShapeCase{Shape{2, 28, 28}, 4},
                                         ShapeCase{Shape{32, 14, 14}, 8}),
                       ::testing::Values(0.0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0)),
    shapeCaseName);

TEST(FrameCodecTest, SparseFramePrefersEventsAndDenseFramePrefersBitmap) {
  const SpikeTensor sparse = testing::randomSpikes(Shape{6272}, 8, 0.01, 1);
  const SpikeTensor dense = testing::randomSpikes(Shape{6272}, 8, 0.5, 1);
  EXPECT_EQ(chooseSpikeEncoding(sparse), PayloadEncoding::kEvents);
  EXPECT_EQ(chooseSpikeEncoding(dense), PayloadEncoding::kBitmap);
}

// N = 784, T = 8: bitmap = 8 * 13 = 104 words; events = 5 + ceil(S/2) words. So S = 196 gives
// 103 words (events smaller), S = 197 gives 104 (a tie, which goes to bitmap).
TEST(FrameCodecTest, ChoiceIsExactAtTheBreakEvenSpikeCount) {
  for (const uint32_t spikes : {196u, 197u}) {
    SpikeTensor s(Shape{784}, 8);
    for (uint32_t k = 0; k < spikes; ++k) s.set(k % 8, (k * 37) % 784);
    ASSERT_EQ(s.countSpikes(), spikes);
    const SpikeFrame frame = makeFrame(s);
    ASSERT_OK_AND_ASSIGN(WireBuffer bitmap, encode(frame, {SpikeEncoding::kBitmap}));
    ASSERT_OK_AND_ASSIGN(WireBuffer events, encode(frame, {SpikeEncoding::kEvents}));
    ASSERT_OK_AND_ASSIGN(WireBuffer chosen, encode(frame));
    ASSERT_OK_AND_ASSIGN(PayloadEncoding kind, payloadEncodingOf(chosen.bytes()));
    if (spikes == 196) {
      EXPECT_EQ(events.size() + 8, bitmap.size());
      EXPECT_EQ(kind, PayloadEncoding::kEvents);
    } else {
      EXPECT_EQ(events.size(), bitmap.size());
      EXPECT_EQ(kind, PayloadEncoding::kBitmap);
    }
  }
}

TEST(FrameCodecTest, EncodingIsDeterministic) {
  const SpikeFrame frame = makeFrame(testing::randomSpikes(Shape{300}, 6, 0.05, 9));
  ASSERT_OK_AND_ASSIGN(WireBuffer a, encode(frame));
  ASSERT_OK_AND_ASSIGN(WireBuffer b, encode(frame));
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.bytes().data(), b.bytes().data(), a.size()));
}

TEST(FrameCodecTest, DenseFloatAndIntPayloadsRoundTrip) {
  const SpikeFrame floats = makeFrame(testing::randomFloats(Shape{10}, 1, -5.0f, 5.0f, 3));
  ASSERT_OK_AND_ASSIGN(WireBuffer fbytes, encode(floats));
  ASSERT_OK_AND_ASSIGN(PayloadEncoding fkind, payloadEncodingOf(fbytes.bytes()));
  EXPECT_EQ(fkind, PayloadEncoding::kDenseFloat32);
  ASSERT_OK_AND_ASSIGN(SpikeFrame fdecoded, decodeFrame(fbytes.bytes()));
  EXPECT_EQ(fdecoded, floats);

  std::vector<int32_t> values(3 * 7);
  for (size_t i = 0; i < values.size(); ++i) values[i] = int32_t(i * 1000) - 7000;
  const SpikeFrame ints = makeFrame(DenseTensor(Shape{7}, 3, values));
  ASSERT_OK_AND_ASSIGN(WireBuffer ibytes, encode(ints));
  ASSERT_OK_AND_ASSIGN(SpikeFrame idecoded, decodeFrame(ibytes.bytes()));
  EXPECT_EQ(idecoded, ints);
}

TEST(FrameCodecTest, UnalignedInputStillDecodes) {
  const SpikeFrame frame = makeFrame(testing::randomSpikes(Shape{130}, 3, 0.2, 5));
  ASSERT_OK_AND_ASSIGN(WireBuffer buffer, encode(frame));
  std::vector<uint8_t> shifted(buffer.size() + 1);
  std::memcpy(shifted.data() + 1, buffer.bytes().data(), buffer.size());
  const std::span<const uint8_t> unaligned(shifted.data() + 1, buffer.size());
  ASSERT_NE(reinterpret_cast<uintptr_t>(unaligned.data()) % 8, 0u);
  ASSERT_OK_AND_ASSIGN(SpikeFrame decoded, decodeFrame(unaligned));
  EXPECT_EQ(decoded, frame);
}

TEST(FrameCodecTest, EncodeRejectsNonZeroPaddingBits) {
  SpikeTensor spikes(Shape{10}, 2);
  spikes.mutableStep(1)[0] |= uint64_t{1} << 40;  // neuron 40 of 10: a padding bit
  const auto encoded = encode(makeFrame(spikes));
  EXPECT_STATUS_CODE(encoded, StatusCode::kInvalidArgument);
  EXPECT_NE(encoded.status().message().find("padding"), std::string::npos);
}

TEST(FrameCodecTest, EncodeRejectsFramesOverTheLimits) {
  EXPECT_STATUS_CODE(encode(makeFrame(SpikeTensor(Shape{4}, kMaxTimesteps + 1))),
                     StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(encode(makeFrame(SpikeTensor(Shape{4}, 0))), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(encode(makeFrame(SpikeTensor(Shape{1, 1, 1, 1, 1, 1, 1, 1, 1}, 1))),
                     StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(encode(makeFrame(SpikeTensor())), StatusCode::kInvalidArgument);
}

TEST(FrameCodecTest, LargestAllowedFrameRoundTrips) {
  // T*N at the kMaxNeuronSteps limit decodes (events, nearly empty: a small message).
  SpikeTensor spikes(Shape{1u << 20}, 256);
  spikes.set(255, (1u << 20) - 1);
  const SpikeFrame frame = makeFrame(spikes);
  ASSERT_OK_AND_ASSIGN(WireBuffer buffer, encode(frame));
  EXPECT_LT(buffer.size(), 4096u);
  ASSERT_OK_AND_ASSIGN(SpikeFrame decoded, decodeFrame(buffer.bytes()));
  EXPECT_EQ(decoded, frame);
}

}  // namespace
}  // namespace spikeline::wire
