#include "core/spike_tensor.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/support/random_tensors.h"

namespace spikeline {
namespace {

TEST(SpikeTensorTest, StartsEmptyWithPaddedRows) {
  SpikeTensor s(Shape{2, 50}, 3);
  EXPECT_EQ(s.numNeurons(), 100u);
  EXPECT_EQ(s.timesteps(), 3u);
  EXPECT_EQ(s.wordsPerStep(), 2u);
  EXPECT_EQ(s.words().size(), 6u);
  EXPECT_EQ(s.countSpikes(), 0u);
  EXPECT_EQ(s.density(), 0.0);
}

TEST(SpikeTensorTest, SetGetAndClear) {
  SpikeTensor s(Shape{130}, 2);
  s.set(1, 129);
  s.set(0, 64);
  EXPECT_TRUE(s.get(1, 129));
  EXPECT_TRUE(s.get(0, 64));
  EXPECT_FALSE(s.get(0, 129));
  EXPECT_EQ(s.countSpikes(), 2u);
  EXPECT_EQ(s.countSpikes(1), 1u);
  s.set(1, 129, false);
  EXPECT_FALSE(s.get(1, 129));
  EXPECT_EQ(s.countSpikes(), 1u);
}

TEST(SpikeTensorTest, ForEachSpikeVisitsExactlyTheSetBitsInOrder) {
  SpikeTensor s = testing::randomSpikes(Shape{300}, 4, 0.3, 42);
  for (uint32_t t = 0; t < 4; ++t) {
    std::vector<uint32_t> expected;
    for (uint32_t i = 0; i < 300; ++i) {
      if (s.get(t, i)) expected.push_back(i);
    }
    std::vector<uint32_t> seen;
    s.forEachSpike(t, [&](uint32_t i) { seen.push_back(i); });
    EXPECT_EQ(seen, expected) << "t=" << t;
  }
}

TEST(SpikeTensorTest, DensityMatchesCount) {
  SpikeTensor s(Shape{10}, 10);
  for (uint32_t i = 0; i < 10; ++i) s.set(i, i);
  EXPECT_DOUBLE_EQ(s.density(), 0.1);
}

TEST(SpikeTensorTest, EqualityComparesShapeAndBits) {
  SpikeTensor a(Shape{8}, 2), b(Shape{8}, 2), c(Shape{2, 4}, 2);
  EXPECT_EQ(a, b);
  b.set(1, 3);
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
}

}  // namespace
}  // namespace spikeline
