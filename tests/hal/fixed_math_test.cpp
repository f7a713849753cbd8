#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "hal/fixed_point.h"
#include "hal/math/encode.h"
#include "hal/math/fixed.h"
#include "hal/math/hash.h"
#include "hal/math/neuron.h"

namespace spikeline::hal {
namespace {

TEST(FixedMathTest, FloorShiftRoundsNegativesDown) {
  EXPECT_EQ(math::floorShift(7, 1), 3);
  EXPECT_EQ(math::floorShift(-7, 1), -4);
  EXPECT_EQ(math::floorShift(-1, 10), -1);
  EXPECT_EQ(math::floorShift(-1024, 10), -1);
  EXPECT_EQ(math::floorShift(-1025, 10), -2);
}

TEST(FixedMathTest, RescaleShiftsEitherWay) {
  EXPECT_EQ(math::rescale(-3, 4, 2), -1);  // -3/16 -> floor(-0.75) units of 1/4
  EXPECT_EQ(math::rescale(-3, 2, 4), -12);
  EXPECT_EQ(math::rescale(5, 3, 3), 5);
}

TEST(FixedMathTest, SaturatesTo24And32Bits) {
  EXPECT_EQ(math::sat24(1 << 23), (1 << 23) - 1);
  EXPECT_EQ(math::sat24(-(1 << 23) - 5), -(1 << 23));
  EXPECT_EQ(math::sat24(12345), 12345);
  EXPECT_EQ(math::sat32(int64_t{1} << 40), INT32_MAX);
  EXPECT_EQ(math::sat32(-(int64_t{1} << 40)), INT32_MIN);
}

TEST(FixedMathTest, FloorDivRoundsTowardNegativeInfinity) {
  EXPECT_EQ(math::floorDiv(-7, 2), -4);
  EXPECT_EQ(math::floorDiv(-8, 2), -4);
  EXPECT_EQ(math::floorDiv(7, 2), 3);
  EXPECT_EQ(math::floorDiv(-1, 9), -1);
}

TEST(FixedMathTest, ToActivationRoundsHalfAwayFromZero) {
  EXPECT_EQ(math::toActivation(0.1, 10), 102);  // 102.4
  EXPECT_EQ(math::toActivation(-0.1, 10), -102);
  EXPECT_EQ(math::toActivation(0.5 / 1024, 10), 1);
  EXPECT_EQ(math::toActivation(-0.5 / 1024, 10), -1);
  EXPECT_EQ(math::toActivation(0.49999999999999994, 0), 0);
  EXPECT_EQ(math::toActivation(1e12, 10), INT32_MAX);
  EXPECT_EQ(math::toActivation(0.0 / 0.0 * 0.0, 10), 0);
}

TEST(FixedPointTest, QuantizesWeightsWithLargestFittingShift) {
  const std::vector<float> w = {0.5f, -0.25f, 0.0f, 0.126f};
  QuantizedWeights q = quantizeWeights(w);
  EXPECT_EQ(q.shift, 7);  // 0.5 * 2^7 = 64 <= 127, 0.5 * 2^8 = 128 > 127
  EXPECT_EQ(q.values, (std::vector<int8_t>{64, -32, 0, 16}));  // 0.126*128 = 16.128
}

TEST(FixedPointTest, QuantizesEdgeCases) {
  EXPECT_EQ(quantizeWeights(std::vector<float>{0.0f, 0.0f}).shift, 0);
  QuantizedWeights tiny = quantizeWeights(std::vector<float>{1e-9f});
  EXPECT_EQ(tiny.shift, 24);
  EXPECT_EQ(tiny.values[0], 0);
  QuantizedWeights big = quantizeWeights(std::vector<float>{300.0f, -1.5f});
  EXPECT_EQ(big.shift, 0);
  EXPECT_EQ(big.values, (std::vector<int8_t>{127, -2}));  // clamped; -1.5 rounds away to -2
  EXPECT_EQ(quantizeDecay(0.04), 2621);                   // 2621.44
  EXPECT_EQ(quantizeActivation(0.1, 10), 102);
}

TEST(NeuronMathTest, FixedLifDecaysLeaksAndSpikesStrictly) {
  math::LifFixed p{quantizeDecay(0.5), quantizeDecay(0.5), 0, 100, 0, false};
  int32_t v = 0;
  EXPECT_FALSE(p.step(v, 200));  // 0 + (0*0.5 + 200*0.5) = 100, not > 100
  EXPECT_EQ(v, 100);
  EXPECT_TRUE(p.step(v, 103));  // 100 + (-50 + 51.5 -> floor 1) = 101 > 100
  EXPECT_EQ(v, 0);
  v = -3;
  EXPECT_FALSE(p.step(v, 0));  // -3 + floor(1.5) = -2
  EXPECT_EQ(v, -2);
}

TEST(NeuronMathTest, FixedSubtractResetAndSaturation) {
  math::IfFixed p{10, 0, true};
  int32_t v = 0;
  EXPECT_TRUE(p.step(v, 25));
  EXPECT_EQ(v, 15);
  v = math::kV24Max;
  EXPECT_TRUE(p.step(v, 1000));
  EXPECT_EQ(v, math::kV24Max - 10);
}

TEST(NeuronMathTest, FloatLifMatchesHandComputation) {
  math::LifFloat p{0.1f, 2.0f, 0.0f, 0.25f, -0.5f, false};
  float v = 0.0f;
  EXPECT_FALSE(p.step(v, 1.0f));  // 0.1 * (0 + 2) = 0.2
  EXPECT_FLOAT_EQ(v, 0.2f);
  EXPECT_TRUE(p.step(v, 1.0f));  // 0.2 + 0.1 * (-0.2 + 2) = 0.38 > 0.25
  EXPECT_FLOAT_EQ(v, -0.5f);
}

TEST(HashTest, IsDeterministicAndSensitiveToEveryKey) {
  const uint32_t h = math::hash32(1, 2, 3, 4);
  EXPECT_EQ(h, math::hash32(1, 2, 3, 4));
  EXPECT_NE(h, math::hash32(0, 2, 3, 4));
  EXPECT_NE(h, math::hash32(1, 0, 3, 4));
  EXPECT_NE(h, math::hash32(1, 2, 0, 4));
  EXPECT_NE(h, math::hash32(1, 2, 3, 0));
}

TEST(HashTest, RateDecisionFollowsProbability) {
  EXPECT_EQ(math::rateThresholdFloat(0.0), 0u);
  EXPECT_EQ(math::rateThresholdFloat(1.5), uint64_t{1} << 32);
  EXPECT_EQ(math::rateThresholdFloat(0.5), uint64_t{1} << 31);
  EXPECT_EQ(math::rateThresholdFixed(512, 1 << 16, 10), uint64_t{1} << 31);
  EXPECT_EQ(math::rateThresholdFixed(-5, 1 << 16, 10), 0u);
  int spikes = 0;
  for (uint32_t i = 0; i < 10000; ++i) spikes += math::rateSpike(7, 9, 0, i, uint64_t{1} << 30);
  EXPECT_NEAR(spikes, 2500, 200);
}

TEST(EncodeMathTest, LatencyStepFloatAndFixedAgree) {
  EXPECT_EQ(math::latencyStepFloat(1.0f, 0.0, 8), 0);
  EXPECT_EQ(math::latencyStepFloat(0.5f, 0.0, 8), 3);  // floor(0.5 * 7)
  EXPECT_EQ(math::latencyStepFloat(0.0f, 0.0, 8), -1);
  EXPECT_EQ(math::latencyStepFixed(512, 0, 8, 10), 3);
  EXPECT_EQ(math::latencyStepFixed(1024, 0, 8, 10), 0);
  EXPECT_EQ(math::latencyStepFixed(0, 0, 8, 10), -1);
}

}  // namespace
}  // namespace spikeline::hal
