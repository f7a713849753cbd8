// DESIGN.md: "every shipped model file is loaded by a test". This test loads every YAML file under
// topology/models/ and checks the example's structure.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/status_matchers.h"
#include "topology/topology_loader.h"

namespace spikeline::topology {
namespace {

const std::filesystem::path kModelsDir =
    std::filesystem::path(SPIKELINE_SOURCE_DIR) / "topology" / "models";

TEST(ShippedModelsTest, EveryModelFileValidates) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kModelsDir)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".yaml" && ext != ".yml") continue;
    ++count;
    TopologyCheck check = checkTopologyFile(entry.path());
    std::string diagnostics;
    for (const Diagnostic& d : check.diagnostics) diagnostics += d.toString() + "\n";
    EXPECT_TRUE(check.isOk()) << diagnostics;
  }
  EXPECT_GE(count, 1);
}

TEST(ShippedModelsTest, FashionMnistScnnIsAThreeStageFixedPipeline) {
  ASSERT_OK_AND_ASSIGN(Topology t, loadTopologyFile(kModelsDir / "fmnist_scnn.yaml"));
  EXPECT_EQ(t.model.toString(), "fmnist-scnn@1");
  EXPECT_EQ(t.precision, Precision::kFixed);
  EXPECT_EQ(t.input_shape, (Shape{1, 28, 28}));
  ASSERT_EQ(t.stages.size(), 3u);
  EXPECT_EQ(t.stages[1].placement.backends,
            (std::vector<BackendKind>{BackendKind::kChip, BackendKind::kCuda, BackendKind::kCpu}));
  EXPECT_TRUE(t.stages[1].placement.allow_fallback);
  EXPECT_EQ(t.findOperator("conv1")->output_shape, (Shape{12, 28, 28}));
  EXPECT_EQ(t.findOperator("pool1")->output_shape, (Shape{12, 14, 14}));
  EXPECT_EQ(t.findOperator("lif2")->output_shape, (Shape{24, 7, 7}));
  EXPECT_EQ(t.operators.back().name, "readout");
  EXPECT_EQ(t.operators.back().output_shape, (Shape{10}));
}

TEST(ShippedModelsTest, MonolithSharesEveryOperatorIdWithThePipeline) {
  ASSERT_OK_AND_ASSIGN(Topology pipeline, loadTopologyFile(kModelsDir / "fmnist_scnn.yaml"));
  ASSERT_OK_AND_ASSIGN(Topology monolith,
                       loadTopologyFile(kModelsDir / "fmnist_scnn_monolith.yaml"));
  ASSERT_EQ(monolith.stages.size(), 1u);
  ASSERT_EQ(pipeline.operators.size(), monolith.operators.size());
  for (size_t i = 0; i < pipeline.operators.size(); ++i) {
    EXPECT_EQ(pipeline.operators[i].id, monolith.operators[i].id) << pipeline.operators[i].name;
  }
}

}  // namespace
}  // namespace spikeline::topology
