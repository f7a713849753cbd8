// The chip mapper: partition counts, synapse-table sizes and the does-not-fit errors.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hal/chip/chip_mapper.h"
#include "tests/hal/hal_test_util.h"
#include "tests/support/status_matchers.h"

namespace spikeline::hal {
namespace {

using ::testing::HasSubstr;

Connectivity dense(uint32_t neurons, uint32_t fan_in) {
  return {SynapseLayout::kDense, neurons, fan_in, 1};
}

TEST(ChipMapperTest, LinearSlicesAreBoundedBySynapseMemory) {
  // 784 inputs x 1000 outputs: one core holds floor(131072 / 784) = 167 neurons.
  const ChipConfig config;
  ASSERT_OK_AND_ASSIGN(auto ranges, partitionNeurons(dense(1000, 784), config));
  ASSERT_EQ(ranges.size(), 6u);
  EXPECT_EQ(ranges[0], (NeuronRange{0, 167}));
  EXPECT_EQ(ranges[5], (NeuronRange{835, 1000}));
  EXPECT_EQ(sliceSynapseEntries(dense(1000, 784), 0, 167), 167u * 784u);
}

TEST(ChipMapperTest, SlicesAreBoundedByNeuronsPerCore) {
  ChipConfig config;
  config.neurons_per_core = 100;
  ASSERT_OK_AND_ASSIGN(auto ranges, partitionNeurons(dense(250, 10), config));
  EXPECT_EQ(ranges, (std::vector<NeuronRange>{{0, 100}, {100, 200}, {200, 250}}));
}

TEST(ChipMapperTest, NeuronOnlyOperatorsNeedNoSynapseMemory) {
  ChipConfig config;
  config.synapse_entries_per_core = 1;
  const Connectivity c{SynapseLayout::kNone, 3000, 0, 1};
  ASSERT_OK_AND_ASSIGN(auto ranges, partitionNeurons(c, config));
  EXPECT_EQ(ranges.size(), 3u);
  EXPECT_EQ(sliceSynapseEntries(c, 0, 1024), 0u);
}

TEST(ChipMapperTest, ConvStoresOneSharedKernelPerOutputChannel) {
  // conv 2 -> 8 channels, 3x3 kernel: fan-in 18; a 26x26 output plane has 676 neurons.
  const Connectivity c{SynapseLayout::kSharedKernel, 8 * 676, 18, 676};
  EXPECT_EQ(sliceSynapseEntries(c, 0, 676), 18u);         // one channel, one kernel
  EXPECT_EQ(sliceSynapseEntries(c, 600, 700), 2u * 18u);  // straddles channels 0 and 1
  ChipConfig config;
  config.synapse_entries_per_core = 2 * 18;  // two kernels per core
  ASSERT_OK_AND_ASSIGN(auto ranges, partitionNeurons(c, config));
  for (const NeuronRange& r : ranges) {
    EXPECT_LE(sliceSynapseEntries(c, r.begin, r.end), 36u);
    EXPECT_LE(r.end - r.begin, 1024u);
  }
  EXPECT_EQ(ranges.front(), (NeuronRange{0, 1024}));  // 1024 neurons touch channels 0 and 1
  EXPECT_EQ(ranges.back().end, 8u * 676u);
}

TEST(ChipMapperTest, GraphStoresEachNodesEdgeListOncePerCore) {
  // 4 nodes x 3 features; in-degrees 2, 0, 5, 1 -> row prefix 0, 2, 2, 7, 8.
  Connectivity c{SynapseLayout::kSharedRows, 12, 5, 3};
  c.row_prefix = {0, 2, 2, 7, 8};
  EXPECT_EQ(sliceSynapseEntries(c, 0, 12), 8u);
  EXPECT_EQ(sliceSynapseEntries(c, 4, 7), 5u);  // nodes 1 and 2
  ChipConfig config;
  config.synapse_entries_per_core = 6;
  ASSERT_OK_AND_ASSIGN(auto ranges, partitionNeurons(c, config));
  EXPECT_EQ(ranges, (std::vector<NeuronRange>{{0, 6}, {6, 12}}));  // rows {0,1} = 2, {2,3} = 6
}

TEST(ChipMapperTest, FanInBeyondOneCoreSynapseMemoryIsExhausted) {
  ChipConfig config;
  config.synapse_entries_per_core = 16384;
  config.max_fan_in = 1u << 20;
  Result<std::vector<NeuronRange>> r = partitionNeurons(dense(10, 20000), config);
  EXPECT_STATUS_CODE(r, StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(),
              HasSubstr("fan-in 20000 exceeds synapse memory of one core (16384 entries)"));
}

TEST(ChipMapperTest, FanInBeyondTheAxonLimitIsExhausted) {
  Result<std::vector<NeuronRange>> r = partitionNeurons(dense(10, 5000), ChipConfig{});
  EXPECT_STATUS_CODE(r, StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(), HasSubstr("fan-in 5000 exceeds the fan-in limit"));
}

TEST(ChipMapperTest, PlacementSkipsBusyAndFailedCores) {
  ChipConfig config;
  config.num_cores = 5;
  const std::vector<bool> usable{false, true, false, true, true};
  const std::vector<NeuronRange> ranges{{0, 10}, {10, 20}};
  ASSERT_OK_AND_ASSIGN(auto slices, placeRanges(dense(20, 3), ranges, usable, config));
  ASSERT_EQ(slices.size(), 2u);
  EXPECT_EQ(slices[0], (CoreSlice{1, 0, 10, 30, 3}));
  EXPECT_EQ(slices[1], (CoreSlice{3, 10, 20, 30, 3}));
}

TEST(ChipMapperTest, PlacementNamesHowManyCoresItNeeds) {
  ChipConfig config;
  config.num_cores = 4;
  const std::vector<bool> usable{true, false, true, true};
  const std::vector<NeuronRange> ranges(4, NeuronRange{0, 1});
  Result<std::vector<CoreSlice>> r = placeRanges(dense(4, 1), ranges, usable, config);
  EXPECT_STATUS_CODE(r, StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(), "needs 4 cores, chip has 4 (3 free and healthy)");
}

TEST(ChipMapperTest, ConnectivityFollowsTheOperatorKind) {
  OperatorSpec conv = testing::makeSpec("conv2d", Shape{4, 10, 10}, Precision::kFixed);
  testing::setWeight(conv, "weight", Shape{6, 2, 3, 3}, std::vector<float>(108, 0.1f));
  ASSERT_OK_AND_ASSIGN(Connectivity c, connectivityOf(conv, Shape{6, 8, 8}));
  EXPECT_EQ(c, (Connectivity{SynapseLayout::kSharedKernel, 384, 18, 64}));
  OperatorSpec fc = testing::makeSpec("linear", Shape{4, 5}, Precision::kFixed);
  testing::setWeight(fc, "weight", Shape{7, 20}, std::vector<float>(140, 0.1f));
  ASSERT_OK_AND_ASSIGN(Connectivity l, connectivityOf(fc, Shape{7}));
  EXPECT_EQ(l, (Connectivity{SynapseLayout::kDense, 7, 20, 1}));
  // Per-row form: each of the 4 x 7 neurons stores only its row's 5 synapses.
  testing::setWeight(fc, "weight", Shape{7, 5}, std::vector<float>(35, 0.1f));
  ASSERT_OK_AND_ASSIGN(Connectivity rows, connectivityOf(fc, Shape{4, 7}));
  EXPECT_EQ(rows, (Connectivity{SynapseLayout::kDense, 28, 5, 1}));
  EXPECT_EQ(sliceSynapseEntries(rows, 0, 28), 4u * 5u * 7u);
  const OperatorSpec tokens = testing::makeSpec("to_tokens", Shape{4, 2, 5}, Precision::kFixed);
  ASSERT_OK_AND_ASSIGN(Connectivity t, connectivityOf(tokens, Shape{10, 4}));
  EXPECT_EQ(t, (Connectivity{SynapseLayout::kNone, 40, 0, 1}));
  const OperatorSpec pool = testing::makeSpec("maxpool2d", Shape{4, 10, 10}, Precision::kFixed);
  ASSERT_OK_AND_ASSIGN(Connectivity p, connectivityOf(pool, Shape{4, 5, 5}));
  EXPECT_EQ(p.layout, SynapseLayout::kNone);
  EXPECT_EQ(p.neurons, 100u);
}

TEST(ChipMapperTest, ConnectivityOfTheNirKinds) {
  // conv1d is conv2d with kH = 1: a shared kernel of Cin/g * k entries per output channel.
  OperatorSpec conv = testing::makeSpec("conv1d", Shape{4, 20}, Precision::kFixed);
  testing::setWeight(conv, "weight", Shape{6, 2, 3}, std::vector<float>(36, 0.1f));
  ASSERT_OK_AND_ASSIGN(Connectivity c, connectivityOf(conv, Shape{6, 18}));
  EXPECT_EQ(c, (Connectivity{SynapseLayout::kSharedKernel, 108, 6, 18}));
  // cuba_lif: neurons only, unless W_rec gives every neuron N synapses.
  OperatorSpec lif = testing::makeSpec("cuba_lif", Shape{2, 5}, Precision::kFixed);
  ASSERT_OK_AND_ASSIGN(Connectivity plain, connectivityOf(lif, Shape{2, 5}));
  EXPECT_EQ(plain, (Connectivity{SynapseLayout::kNone, 10, 0, 1}));
  testing::setWeight(lif, "recurrent", Shape{10, 10}, std::vector<float>(100, 0.1f));
  ASSERT_OK_AND_ASSIGN(Connectivity rec, connectivityOf(lif, Shape{2, 5}));
  EXPECT_EQ(rec, (Connectivity{SynapseLayout::kDense, 10, 10, 1}));
  // scale: one synapse per neuron; delay: a delay line, no synapses.
  OperatorSpec scale = testing::makeSpec("scale", Shape{7}, Precision::kFixed);
  testing::setWeight(scale, "scale", Shape{7}, std::vector<float>(7, 0.5f));
  ASSERT_OK_AND_ASSIGN(Connectivity sc, connectivityOf(scale, Shape{7}));
  EXPECT_EQ(sc, (Connectivity{SynapseLayout::kDense, 7, 1, 1}));
  OperatorSpec delay = testing::makeSpec("delay", Shape{7}, Precision::kFixed);
  ASSERT_OK_AND_ASSIGN(Connectivity d, connectivityOf(delay, Shape{7}));
  EXPECT_EQ(d.layout, SynapseLayout::kNone);
}

}  // namespace
}  // namespace spikeline::hal
