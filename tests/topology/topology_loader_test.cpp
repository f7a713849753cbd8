#include "topology/topology_loader.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"
#include "tests/topology/model_fixture.h"

namespace spikeline::topology {
namespace {

using ::spikeline::testing::rampValues;
using ::spikeline::testing::replaceOnce;
using ::spikeline::testing::ScratchDir;

class TopologyLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override { base_ = ::spikeline::testing::writeSmallModelWeights(dir_); }
  Result<Topology> load(const std::string& yaml) {
    return loadTopologyFile(dir_.write("m.yaml", yaml));
  }
  ScratchDir dir_;
  std::string base_;
};

TEST_F(TopologyLoaderTest, MapsModelFields) {
  ASSERT_OK_AND_ASSIGN(Topology t, load(base_));
  EXPECT_EQ(t.model.toString(), "small@3");
  EXPECT_EQ(t.timesteps, 8u);
  EXPECT_EQ(t.input_shape, (Shape{1, 8, 8}));
  EXPECT_EQ(t.input_encoding, InputEncoding::kDense);
  EXPECT_EQ(t.precision, Precision::kFloat32);
  ASSERT_EQ(t.stages.size(), 2u);
  EXPECT_EQ(t.stages[0].name, "front");
  EXPECT_EQ(t.stages[0].operators, (std::vector<std::string>{"enc", "conv", "lif1"}));
  EXPECT_EQ(t.stages[0].placement.backends,
            (std::vector<BackendKind>{BackendKind::kCuda, BackendKind::kCpu}));
  EXPECT_EQ(t.stages[0].placement.replicas, 2u);
  EXPECT_EQ(t.stages[1].placement.replicas, 1u);  // default
  EXPECT_EQ(t.stages[1].placement.standby, 0u);   // default
  EXPECT_TRUE(t.stages[1].placement.allow_fallback);
}

TEST_F(TopologyLoaderTest, ChainsShapesThroughEveryOperator) {
  ASSERT_OK_AND_ASSIGN(Topology t, load(base_));
  ASSERT_EQ(t.operators.size(), 7u);
  const std::vector<std::pair<Shape, Shape>> expected = {{{1, 8, 8}, {1, 8, 8}},
                                                         {{1, 8, 8}, {2, 8, 8}},
                                                         {{2, 8, 8}, {2, 8, 8}},
                                                         {{2, 8, 8}, {128}},
                                                         {{128}, {4}},
                                                         {{4}, {4}},
                                                         {{4}, {4}}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(t.operators[i].input_shape, expected[i].first) << t.operators[i].name;
    EXPECT_EQ(t.operators[i].output_shape, expected[i].second) << t.operators[i].name;
  }
}

TEST_F(TopologyLoaderTest, ResolvesInputsByName) {
  ASSERT_OK_AND_ASSIGN(Topology t, load(base_));
  EXPECT_TRUE(t.findOperator("enc")->inputs.empty());  // the model input
  EXPECT_EQ(t.findOperator("conv")->inputs, std::vector<std::string>{"enc"});
  EXPECT_EQ(t.findOperator("flat")->inputs, std::vector<std::string>{"lif1"});
}

TEST_F(TopologyLoaderTest, LoadsWeightsAsFloat32) {
  ASSERT_OK_AND_ASSIGN(Topology t, load(base_));
  const OperatorSpec* conv = t.findOperator("conv");
  ASSERT_NE(conv, nullptr);
  ASSERT_EQ(conv->weights.size(), 2u);
  EXPECT_EQ(conv->weights.at("weight").shape, (Shape{2, 1, 3, 3}));
  EXPECT_EQ(conv->weights.at("weight").values, rampValues(18));
  EXPECT_EQ(conv->weights.at("bias").values, rampValues(2));
  EXPECT_EQ(conv->params.getInt("padding").value(), 1);
}

TEST_F(TopologyLoaderTest, SetsPrecisionAndFracBitsOnEverySpec) {
  ASSERT_OK_AND_ASSIGN(Topology t, load(replaceOnce(base_, "precision: float32",
                                                    "precision: fixed\nfrac_bits: 12")));
  EXPECT_EQ(t.precision, Precision::kFixed);
  EXPECT_EQ(t.frac_bits, 12u);
  for (const OperatorSpec& op : t.operators) {
    EXPECT_EQ(op.precision, Precision::kFixed) << op.name;
    EXPECT_EQ(op.frac_bits, 12u) << op.name;
  }
}

TEST_F(TopologyLoaderTest, FracBitsDefaultsToTen) {
  ASSERT_OK_AND_ASSIGN(Topology t,
                       load(replaceOnce(base_, "precision: float32", "precision: fixed")));
  EXPECT_EQ(t.frac_bits, 10u);
  EXPECT_EQ(t.operators[0].frac_bits, 10u);
}

TEST_F(TopologyLoaderTest, ComputesOperatorIds) {
  ASSERT_OK_AND_ASSIGN(Topology t, load(base_));
  // lif1 and lif2 have the same kind, params and (no) weights: same identity.
  EXPECT_EQ(t.findOperator("lif1")->id, t.findOperator("lif2")->id);
  EXPECT_NE(t.findOperator("conv")->id, t.findOperator("fc")->id);
  EXPECT_NE(t.findOperator("conv")->id.value, 0u);
}

TEST_F(TopologyLoaderTest, ShortWeightFormUsesTheOnlyFile) {
  ASSERT_OK_AND_ASSIGN(Topology t,
                       load(replaceOnce(base_, "{file: w, tensor: fc.weight}", "fc.weight")));
  EXPECT_EQ(t.findOperator("fc")->weights.at("weight").shape, (Shape{4, 128}));
}

TEST_F(TopologyLoaderTest, ResidualBranchWithinAStage) {
  // A second branch off fc inside one stage; add sums both; readout integrates the membrane.
  std::string yaml = replaceOnce(base_, "  - name: out\n    kind: readout\n",
                                 "  - name: again\n    kind: lif\n    inputs: [fc]\n"
                                 "    params: {tau: 0.002, v_threshold: 0.5}\n"
                                 "  - name: sum\n    kind: add\n    inputs: [lif2, again]\n"
                                 "  - name: out\n    kind: readout\n"
                                 "    params: {mode: membrane, tau: 0.01}\n");
  yaml = replaceOnce(yaml, "[flat, fc, lif2, out]", "[flat, fc, lif2, again, sum, out]");
  ASSERT_OK_AND_ASSIGN(Topology t, load(yaml));
  EXPECT_EQ(t.findOperator("sum")->inputs, (std::vector<std::string>{"lif2", "again"}));
  EXPECT_EQ(t.findOperator("sum")->output_shape, (Shape{4}));
}

}  // namespace
}  // namespace spikeline::topology
