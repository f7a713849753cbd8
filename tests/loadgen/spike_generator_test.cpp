#include "loadgen/spike_generator.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/status_matchers.h"

namespace spikeline::loadgen {
namespace {

TEST(SpikeGeneratorTest, HitsTheRequestedDensity) {
  for (double density : {0.01, 0.1, 0.5, 0.9}) {
    ASSERT_OK_AND_ASSIGN(SpikeTensor s, randomSpikeTensor({2, 28, 28}, 32, density, 11));
    const double n = 2.0 * 28 * 28 * 32;
    const double sigma = std::sqrt(n * density * (1 - density)) / n;
    EXPECT_NEAR(s.density(), density, 5 * sigma) << density;
  }
}

TEST(SpikeGeneratorTest, SameSeedSameTensorAndPaddingStaysZero) {
  ASSERT_OK_AND_ASSIGN(SpikeTensor a, randomSpikeTensor({100}, 4, 0.3, 5));
  ASSERT_OK_AND_ASSIGN(SpikeTensor b, randomSpikeTensor({100}, 4, 0.3, 5));
  ASSERT_OK_AND_ASSIGN(SpikeTensor c, randomSpikeTensor({100}, 4, 0.3, 6));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  for (uint32_t t = 0; t < 4; ++t) EXPECT_EQ(a.step(t)[1] >> (100 - 64), 0u);  // bits 100..127
}

TEST(SpikeGeneratorTest, ExtremesAreExact) {
  ASSERT_OK_AND_ASSIGN(SpikeTensor none, randomSpikeTensor({70}, 3, 0.0, 1));
  ASSERT_OK_AND_ASSIGN(SpikeTensor all, randomSpikeTensor({70}, 3, 1.0, 1));
  EXPECT_EQ(none.countSpikes(), 0u);
  EXPECT_EQ(all.countSpikes(), 210u);
  EXPECT_EQ(all.shape(), Shape({70}));
  EXPECT_EQ(all.timesteps(), 3u);
}

TEST(SpikeGeneratorTest, RejectsBadArguments) {
  EXPECT_STATUS_CODE(randomSpikeTensor({10}, 2, -0.1, 1), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(randomSpikeTensor({10}, 2, 1.5, 1), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(randomSpikeTensor({10}, 2, std::nan(""), 1), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(randomSpikeTensor({10}, 0, 0.5, 1), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(randomSpikeTensor({100000, 100000}, 2, 0.5, 1), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spikeline::loadgen
