#include "broker/routes.h"

#include <gtest/gtest.h>

#include "tests/broker/test_models.h"

namespace spikeline::broker {
namespace {

using testing::model;
using testing::stage;
using testing::worker;

TEST(RoutesTest, ListsServingWorkersPerStageInOrder) {
  auto m = model("a", {stage("enc", 1, {BackendKind::kCpu}), stage("fc", 2, {BackendKind::kCpu})});
  PlacementMap p;
  p.pools[OperatorId{1}].serving = {WorkerId{"w0"}};
  p.pools[OperatorId{2}].serving = {WorkerId{"w1"}};
  p.pools[OperatorId{2}].standby = {WorkerId{"w2"}};
  auto ws =
      std::vector<WorkerInfo>{worker("w0", BackendKind::kCpu), worker("w1", BackendKind::kCpu),
                              worker("w2", BackendKind::kCpu)};
  auto table = computeRoutes({m}, p, ws, {}, {});
  EXPECT_EQ(table.epoch, 1u);
  ASSERT_EQ(table.models.size(), 1u);
  ASSERT_EQ(table.models[0].stages.size(), 2u);
  EXPECT_EQ(table.models[0].stages[1].name, "fc");
  ASSERT_EQ(table.models[0].stages[1].replicas.size(), 1u);
  EXPECT_EQ(table.models[0].stages[1].replicas[0].endpoint, "tcp://w1:7000");
}

TEST(RoutesTest, EpochMovesOnlyWhenRoutesChange) {
  auto m = model("a", {stage("enc", 1, {BackendKind::kCpu})});
  PlacementMap p;
  p.pools[OperatorId{1}].serving = {WorkerId{"w0"}};
  std::vector<WorkerInfo> ws{worker("w0", BackendKind::kCpu)};
  auto t1 = computeRoutes({m}, p, ws, {}, wire::RouteTable{41, {}});
  EXPECT_EQ(t1.epoch, 42u);
  EXPECT_EQ(computeRoutes({m}, p, ws, {}, t1).epoch, 42u);
  HealthSnapshot down;
  down.down["w0"] = "missed";
  auto t3 = computeRoutes({m}, p, ws, down, t1);
  EXPECT_EQ(t3.epoch, 43u);
  EXPECT_TRUE(t3.models[0].stages[0].replicas.empty());
}

TEST(RoutesTest, StaleEpochIsNotNewer) {
  EXPECT_TRUE(isNewer(wire::RouteTable{5, {}}, wire::RouteTable{4, {}}));
  EXPECT_FALSE(isNewer(wire::RouteTable{4, {}}, wire::RouteTable{4, {}}));
  EXPECT_FALSE(isNewer(wire::RouteTable{3, {}}, wire::RouteTable{4, {}}));
}

}  // namespace
}  // namespace spikeline::broker
