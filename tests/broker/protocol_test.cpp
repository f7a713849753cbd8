#include "broker/agent/protocol.h"

#include <gtest/gtest.h>

#include "broker/agent/materialize.h"
#include "tests/harness/files.h"
#include "tests/support/status_matchers.h"
#include "topology/topology_loader.h"

namespace spikeline::broker {
namespace {

Assignment sample() {
  Assignment a;
  a.pool = "00000000000000ab";
  a.role = AssignmentRole::kStandby;
  a.stages.push_back(
      AssignedStage{ModelRef{"m", 2},
                    "features",
                    {"conv1", "lif1"},
                    "dir/m.yaml",
                    "spikeline: 1\n",
                    {{"w.safetensors", std::string("\0\1x", 3)}, {"sub/v.bin", "vv"}}});
  return a;
}

TEST(ProtocolTest, AssignmentRoundTripsWithBinaryFiles) {
  Parts parts = encodeAssignment(sample());
  EXPECT_EQ(parts.size(), 4u);  // tag, header, two files
  ASSERT_OK_AND_ASSIGN(Assignment back, decodeAssignment(parts));
  EXPECT_EQ(back, sample());
}

TEST(ProtocolTest, MalformedAssignmentIsAnErrorNotACrash) {
  EXPECT_STATUS_CODE(decodeAssignment({kTagAssign, "{"}), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(decodeAssignment({kTagAssign, R"({"pool":1})"}), StatusCode::kInvalidArgument);
  Parts missing_file = encodeAssignment(sample());
  missing_file.pop_back();
  EXPECT_STATUS_CODE(decodeAssignment(missing_file), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(decodeAssignment({"routes", "{}"}), StatusCode::kInvalidArgument);
}

TEST(ProtocolTest, InjectFaultRoundTrips) {
  InjectFault f{false, 7, false, 3};
  ASSERT_OK_AND_ASSIGN(InjectFault back, decodeInjectFault(encodeInjectFault(f)));
  EXPECT_EQ(back, f);
  EXPECT_STATUS_CODE(decodeInjectFault({kTagInject, "junk"}), StatusCode::kInvalidArgument);
}

TEST(MaterializeTest, WritesALoadableModel) {
  const auto src = std::filesystem::path(SPIKELINE_SOURCE_DIR) / "topology/models";
  Assignment a;
  a.pool = "1";
  a.role = AssignmentRole::kServing;
  AssignedStage st{
      ModelRef{"fmnist-scnn", 1},
      "features",
      {},
      "/elsewhere/fmnist_scnn.yaml",
      harness::readText(src / "fmnist_scnn.yaml"),
      {{"fmnist_scnn.safetensors", harness::readText(src / "fmnist_scnn.safetensors")}}};
  a.stages.push_back(st);
  const auto dir = harness::makeTempDir("spikeline-materialize");
  ASSERT_OK_AND_ASSIGN(auto stages, materializeAssignment(a, dir));
  ASSERT_EQ(stages.size(), 1u);
  ASSERT_OK_AND_ASSIGN(Topology t, topology::loadTopologyFile(stages[0].yaml_path));
  EXPECT_EQ(t.model, (ModelRef{"fmnist-scnn", 1}));
  a.stages[0].files = {{"../escape", "x"}};
  EXPECT_STATUS_CODE(materializeAssignment(a, dir), StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace spikeline::broker
