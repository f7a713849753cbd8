#include "broker/placement.h"

#include <gtest/gtest.h>

#include "broker/pool_id.h"
#include "tests/broker/test_models.h"

namespace spikeline::broker {
namespace {

using testing::model;
using testing::stage;
using testing::worker;
constexpr auto kChip = BackendKind::kChip;
constexpr auto kCuda = BackendKind::kCuda;
constexpr auto kCpu = BackendKind::kCpu;

std::vector<std::string> names(const std::vector<WorkerId>& ids) {
  std::vector<std::string> out;
  for (const auto& id : ids) out.push_back(id.name);
  return out;
}

TEST(PlacementTest, PrefersFirstBackendAndKeepsStandby) {
  auto m = model("a", {stage("features", 7, {kChip, kCuda, kCpu}, 2, 1)});
  auto out = computePlacement({m},
                              {worker("cpu-0", kCpu), worker("chip-0", kChip),
                               worker("chip-1", kChip), worker("chip-2", kChip)},
                              {}, {});
  ASSERT_TRUE(out.errors.empty());
  const auto& pool = out.placement.pools.at(OperatorId{7});
  EXPECT_EQ(names(pool.serving), (std::vector<std::string>{"chip-0", "chip-1"}));
  EXPECT_EQ(names(pool.standby), (std::vector<std::string>{"chip-2"}));
}

TEST(PlacementTest, SharedOperatorGetsOnePool) {
  auto a = model("a", {stage("enc", 1, {kCpu}), stage("shared", 9, {kCpu})});
  auto b = model("b", {stage("other", 2, {kCpu}), stage("shared2", 9, {kCpu}, 2)});
  auto out = computePlacement(
      {a, b}, {worker("w0", kCpu), worker("w1", kCpu), worker("w2", kCpu), worker("w3", kCpu)}, {},
      {});
  ASSERT_TRUE(out.errors.empty());
  EXPECT_EQ(out.placement.pools.size(), 3u);
  // The pool takes the larger replica count of its users.
  EXPECT_EQ(out.placement.pools.at(OperatorId{9}).serving.size(), 2u);
}

// Found by the SCNN's finest split: its two pool+LIF stages have the same operators, and with one
// pool id the second position never got a worker of its own.
TEST(PoolIdTest, RepeatedStageOfOneModelGetsItsOwnPoolStillSharedAcrossModels) {
  auto topo = [](const std::string& name) {
    Topology t;
    t.model = ModelRef{name, 1};
    for (auto [op, id] : {std::pair{"a", 5}, {"b", 5}, {"c", 6}}) {
      OperatorSpec spec;
      spec.name = op;
      spec.id = OperatorId{uint64_t(id)};
      t.operators.push_back(spec);
      t.stages.push_back(Stage{std::string("s_") + op, {op}, {}});
    }
    return t;
  };
  const DeployedModel m = summarizeTopology(topo("m"));
  const DeployedModel n = summarizeTopology(topo("n"));
  ASSERT_EQ(m.stages.size(), 3u);
  EXPECT_EQ(m.stages[0].pool, OperatorId{5});
  EXPECT_NE(m.stages[1].pool, m.stages[0].pool);
  EXPECT_EQ(m.stages[2].pool, OperatorId{6});
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(m.stages[i].pool, n.stages[i].pool) << i;
}

TEST(PlacementTest, SpreadsAcrossNodes) {
  auto m = model("a", {stage("s", 3, {kCpu}, 2)});
  auto out = computePlacement(
      {m}, {worker("a0", kCpu, "nodeA"), worker("a1", kCpu, "nodeA"), worker("b0", kCpu, "nodeB")},
      {}, {});
  EXPECT_EQ(names(out.placement.pools.at(OperatorId{3}).serving),
            (std::vector<std::string>{"a0", "b0"}));
}

TEST(PlacementTest, PromotesSameBackendStandbyBeforeFallback) {
  auto m = model("a", {stage("s", 3, {kChip, kCpu}, 1, 1)});
  std::vector<WorkerInfo> ws{worker("chip-0", kChip), worker("chip-1", kChip),
                             worker("cpu-0", kCpu)};
  auto first = computePlacement({m}, ws, {}, {});
  ASSERT_EQ(names(first.placement.pools.at(OperatorId{3}).serving),
            (std::vector<std::string>{"chip-0"}));
  HealthSnapshot health;
  health.down["chip-0"] = "fault";
  auto second = computePlacement({m}, ws, health, first.placement);
  const auto& pool = second.placement.pools.at(OperatorId{3});
  EXPECT_EQ(names(pool.serving), (std::vector<std::string>{"chip-1"}));
  EXPECT_EQ(names(pool.standby), (std::vector<std::string>{"cpu-0"}));
  EXPECT_EQ(second.events.front(),
            (BrokerEvent{"promoted", "chip-1", "serving pool " + OperatorId{3}.toHex()}));
}

TEST(PlacementTest, FallsBackWhenAllowed) {
  auto m = model("a", {stage("s", 3, {kChip, kCuda}, 1, 0, true)});
  HealthSnapshot health;
  health.down["chip-0"] = "fault";
  auto out = computePlacement({m}, {worker("chip-0", kChip), worker("gpu-0", kCuda)}, health, {});
  EXPECT_TRUE(out.errors.empty());
  EXPECT_EQ(names(out.placement.pools.at(OperatorId{3}).serving),
            (std::vector<std::string>{"gpu-0"}));
}

TEST(PlacementTest, RefusesFallbackWhenNotAllowed) {
  auto m = model("a", {stage("s", 3, {kChip, kCuda}, 1, 0, false)});
  HealthSnapshot health;
  health.down["chip-0"] = "fault";
  auto out = computePlacement({m}, {worker("chip-0", kChip), worker("gpu-0", kCuda)}, health, {});
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].code(), StatusCode::kResourceExhausted);
  EXPECT_NE(out.errors[0].message().find("fallback not allowed"), std::string::npos);
  EXPECT_EQ(out.events.back().kind, "unplaced");
}

TEST(PlacementTest, KeepsHealthyWorkersWhereTheyAre) {
  auto m = model("a", {stage("s", 3, {kCpu}, 1)});
  PlacementMap previous;
  previous.pools[OperatorId{3}].serving = {WorkerId{"w9"}};
  auto out = computePlacement({m}, {worker("w0", kCpu), worker("w9", kCpu)}, {}, previous);
  EXPECT_EQ(names(out.placement.pools.at(OperatorId{3}).serving), (std::vector<std::string>{"w9"}));
  EXPECT_TRUE(out.events.empty());
}

TEST(PlacementTest, SkipsWorkersWithoutCapacityOrPrecision) {
  auto m = model("a", {stage("s", 3, {kCpu})}, Precision::kFixed);
  auto no_fixed = worker("float-only", kCpu);
  no_fixed.precisions = {Precision::kFloat32};
  auto out = computePlacement({m}, {worker("empty", kCpu, "n1", 0), no_fixed}, {}, {});
  EXPECT_EQ(out.errors.size(), 1u);
}

TEST(PlacementTest, UndeployReleasesWorkers) {
  PlacementMap previous;
  previous.pools[OperatorId{3}].serving = {WorkerId{"w0"}};
  auto out = computePlacement({}, {worker("w0", kCpu)}, {}, previous);
  EXPECT_TRUE(out.placement.pools.empty());
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].kind, "unassigned");
}

TEST(PlacementTest, DegradedWhenFewerReplicasThanAsked) {
  auto m = model("a", {stage("s", 3, {kCpu}, 3)});
  auto out = computePlacement({m}, {worker("w0", kCpu)}, {}, {});
  EXPECT_TRUE(out.errors.empty());
  EXPECT_EQ(out.events.back().kind, "degraded");
}

// Pool 1 (chip first, cpu fallback, 1 serving + 2 standby) sorts before pool 2 (cpu only):
// filling pool by pool would let pool 1's fallback standby take both cpu workers. Serving comes
// first in every pool, standby after.
TEST(PlacementTest, StandbyNeverStarvesAnotherPoolsServing) {
  auto m = model("a", {stage("s1", 1, {kChip, kCpu}, 1, 2, true), stage("s2", 2, {kCpu}, 1)});
  auto out = computePlacement({m}, {worker("chip-0", kChip), worker("cpu-0", kCpu),
                                    worker("cpu-1", kCpu)}, {}, {});
  EXPECT_TRUE(out.errors.empty());
  const auto& p1 = out.placement.pools.at(OperatorId{1});
  const auto& p2 = out.placement.pools.at(OperatorId{2});
  EXPECT_EQ(names(p1.serving), (std::vector<std::string>{"chip-0"}));
  EXPECT_EQ(names(p2.serving), (std::vector<std::string>{"cpu-0"}));
  EXPECT_EQ(names(p1.standby), (std::vector<std::string>{"cpu-1"}));
}

// A pool whose preferred backend is missing still serves on its fallback before any pool's
// standby is filled.
TEST(PlacementTest, FallbackServingBeforeOtherPoolsStandby) {
  auto m = model("a", {stage("s1", 1, {kCpu}, 1, 1), stage("s2", 2, {kChip, kCpu}, 1, 0, true)});
  auto out = computePlacement({m}, {worker("cpu-0", kCpu), worker("cpu-1", kCpu)}, {}, {});
  EXPECT_TRUE(out.errors.empty());
  EXPECT_EQ(names(out.placement.pools.at(OperatorId{1}).serving), (std::vector<std::string>{"cpu-0"}));
  EXPECT_TRUE(out.placement.pools.at(OperatorId{1}).standby.empty());
  EXPECT_EQ(names(out.placement.pools.at(OperatorId{2}).serving), (std::vector<std::string>{"cpu-1"}));
}

// A model deployed later whose stage has no free worker takes another pool's standby (here a
// cpu fallback standby of pool 1) rather than staying unplaced; pool 1 keeps serving.
TEST(PlacementTest, LaterPoolTakesAnotherPoolsStandbyToServe) {
  auto first = model("a", {stage("s1", 1, {kChip, kCpu}, 1, 1, true)});
  std::vector<WorkerInfo> ws{worker("chip-0", kChip), worker("cpu-0", kCpu)};
  auto before = computePlacement({first}, ws, {}, {});
  ASSERT_EQ(names(before.placement.pools.at(OperatorId{1}).standby),
            (std::vector<std::string>{"cpu-0"}));
  auto second = model("b", {stage("s2", 2, {kCpu}, 1)});
  auto after = computePlacement({first, second}, ws, {}, before.placement);
  EXPECT_TRUE(after.errors.empty());
  EXPECT_EQ(names(after.placement.pools.at(OperatorId{1}).serving),
            (std::vector<std::string>{"chip-0"}));
  EXPECT_TRUE(after.placement.pools.at(OperatorId{1}).standby.empty());
  EXPECT_EQ(names(after.placement.pools.at(OperatorId{2}).serving),
            (std::vector<std::string>{"cpu-0"}));
}

// A pool that lost its serving worker promotes its own standby, even when another pool sorted
// first also lacks a worker.
TEST(PlacementTest, OwnStandbyIsPromotedBeforeOtherPoolsTakeIt) {
  auto m = model("a", {stage("s1", 1, {kCpu}, 1), stage("s2", 2, {kCpu}, 1, 1)});
  PlacementMap previous;
  previous.pools[OperatorId{2}].serving = {WorkerId{"w1"}};
  previous.pools[OperatorId{2}].standby = {WorkerId{"w2"}};
  HealthSnapshot health;
  health.down["w1"] = "fault";
  auto out = computePlacement({m}, {worker("w1", kCpu), worker("w2", kCpu)}, health, previous);
  EXPECT_EQ(names(out.placement.pools.at(OperatorId{2}).serving), (std::vector<std::string>{"w2"}));
  EXPECT_TRUE(out.placement.pools.at(OperatorId{1}).serving.empty());
  EXPECT_EQ(out.errors.size(), 1u);
}

}  // namespace
}  // namespace spikeline::broker
