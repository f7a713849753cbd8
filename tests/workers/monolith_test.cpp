#include "workers/monolith.h"

#include <gtest/gtest.h>

#include <random>

#include "hal/cpu/cpu_backend.h"
#include "tests/support/status_matchers.h"
#include "topology/topology_loader.h"
#include "workers/pipeline_plan.h"

namespace spikeline::workers {
namespace {

const char* kPipeline = SPIKELINE_SOURCE_DIR "/topology/models/fmnist_scnn.yaml";
const char* kOneStage = SPIKELINE_SOURCE_DIR "/topology/models/fmnist_scnn_monolith.yaml";

Tensor image(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> px(28 * 28);
  for (float& p : px) p = u(rng);
  return DenseTensor(Shape{1, 28, 28}, 1, std::move(px));
}

TEST(PipelinePlanTest, StagesGetTheirBoundaryShapeKindAndTarget) {
  ASSERT_OK_AND_ASSIGN(Topology t, topology::loadTopologyFile(kPipeline));
  ASSERT_OK_AND_ASSIGN(std::vector<StagePlan> plans, planStages(t));
  ASSERT_EQ(plans.size(), 3u);
  EXPECT_EQ(plans[0].input.kind, ValueKind::kDense);
  EXPECT_EQ(plans[0].input.shape, (Shape{1, 28, 28}));
  EXPECT_EQ(plans[1].input.kind, ValueKind::kDense);  // direct encoding: analog pixels
  EXPECT_EQ(plans[1].input.shape, (Shape{1, 28, 28}));
  EXPECT_EQ(plans[2].input.kind, ValueKind::kSpikes);  // the features stage emits spikes
  EXPECT_EQ(plans[2].input.shape, (Shape{24, 7, 7}));
  EXPECT_EQ(plans[1].target, t.findOperator("conv1")->id);
  EXPECT_TRUE(plans[1].ops.front().inputs.empty());  // crossing input became the stage input
  EXPECT_EQ(findStage(plans, "classifier"), 2);
  EXPECT_EQ(findStage(plans, "nope"), -1);
}

// A stage whose residual join reads the previous stage's output beside its own ops (the SEW
// block): the planner makes that crossing tensor the stage input, named `input`.
TEST(PipelinePlanTest, ResidualJoinAcrossTheBoundaryReadsTheStageInput) {
  ASSERT_OK_AND_ASSIGN(Topology t, topology::loadTopologyFile(
                                       SPIKELINE_SOURCE_DIR "/topology/models/fmnist_sew_resnet.yaml"));
  ASSERT_OK_AND_ASSIGN(std::vector<StagePlan> plans, planStages(t));
  const int block1 = findStage(plans, "block1");
  ASSERT_GE(block1, 0);
  const StagePlan& p = plans[size_t(block1)];
  EXPECT_EQ(p.input.kind, ValueKind::kSpikes);  // stem_lif's spikes
  EXPECT_TRUE(p.ops.front().inputs.empty());
  EXPECT_EQ(p.ops.back().name, "b1_iand");
  EXPECT_EQ(p.ops.back().inputs, (std::vector<std::string>{"b1_lif2", "input"}));
}

// The 3-stage split and the one-stage file chain the same operators: same bits out.
TEST(MonolithTest, ThreeStageSplitEqualsOneStageModelBitForBit) {
  ASSERT_OK_AND_ASSIGN(auto cpu, hal::makeCpuBackend(hal::CpuOptions{}));
  ASSERT_OK_AND_ASSIGN(Topology split, topology::loadTopologyFile(kPipeline));
  ASSERT_OK_AND_ASSIGN(Topology whole, topology::loadTopologyFile(kOneStage));
  ASSERT_OK_AND_ASSIGN(auto a, Monolith::make(*cpu, split));
  ASSERT_OK_AND_ASSIGN(auto b, Monolith::make(*cpu, whole));
  EXPECT_EQ(a->stageCount(), 3u);
  EXPECT_EQ(b->stageCount(), 1u);
  int differing_images = 0;
  for (RequestId id = 1; id <= 20; ++id) {
    ASSERT_OK_AND_ASSIGN(Tensor x, a->run(image(id), id));
    ASSERT_OK_AND_ASSIGN(Tensor y, b->run(image(id), id));
    EXPECT_TRUE(x == y) << "request " << id;
    // The direct encoder does not depend on the request id (a rate encoder would).
    ASSERT_OK_AND_ASSIGN(Tensor z, a->run(image(id), id + 1000));
    EXPECT_TRUE(z == x) << "request " << id;
    ASSERT_OK_AND_ASSIGN(Tensor other, a->run(image(id + 500), id));
    if (!(other == x)) ++differing_images;
  }
  EXPECT_GT(differing_images, 0);
}

TEST(MonolithTest, WrongInputShapeIsAnErrorNamingTheStage) {
  ASSERT_OK_AND_ASSIGN(auto cpu, hal::makeCpuBackend(hal::CpuOptions{}));
  ASSERT_OK_AND_ASSIGN(Topology t, topology::loadTopologyFile(kPipeline));
  ASSERT_OK_AND_ASSIGN(auto m, Monolith::make(*cpu, t));
  Result<Tensor> out = m->run(DenseTensor(Shape{3, 5}, 1, DType::kFloat32), 1);
  ASSERT_FALSE(out.isOk());
  EXPECT_NE(out.status().message().find("encoder"), std::string::npos) << out.status();
}

}  // namespace
}  // namespace spikeline::workers
