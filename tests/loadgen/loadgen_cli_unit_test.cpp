// Pure parts of spikeline-loadgen: name=PID parsing and pid files, the scenario the load flags
// describe, random inputs, and the action sink's errors for workers it does not know.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "core/dense_tensor.h"
#include "loadgen/cli/cli_options.h"
#include "loadgen/cli/inputs.h"
#include "loadgen/cli/pipeline_run.h"
#include "loadgen/cli/process_action_sink.h"
#include "tests/support/status_matchers.h"

namespace spikeline::loadgen::cli {
namespace {

TEST(LoadgenCliUnitTest, ReadsPidFileAndRejectsBadLines) {
  const std::string path = ::testing::TempDir() + "/pids.txt";
  std::ofstream(path) << "# workers\nfeatures-0=1234\n\n  classifier-0=42  \n";
  ASSERT_OK_AND_ASSIGN(auto pids, readPidFile(path));
  EXPECT_EQ(pids.size(), 2u);
  EXPECT_EQ(pids.at("features-0"), 1234);
  EXPECT_EQ(pids.at("classifier-0"), 42);
  std::ofstream(path) << "features-0=12x\n";
  auto bad = readPidFile(path);
  EXPECT_STATUS_CODE(bad.status(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find(":1:"), std::string::npos);
  EXPECT_STATUS_CODE(readPidFile(path + ".missing").status(), StatusCode::kNotFound);
  EXPECT_STATUS_CODE(splitAssignment("=5").status(), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(parsePid("-3").status(), StatusCode::kInvalidArgument);
}

TEST(LoadgenCliUnitTest, FlagsDescribeOpenLoopWithWarmupOrClosedLoop) {
  LoadgenOptions o;
  o.rate = 250;
  o.arrivals = "poisson";
  o.duration_s = 3;
  o.warmup_s = 1;
  o.deadline_ms = 500;
  ASSERT_OK_AND_ASSIGN(Scenario open, scenarioFromFlags(o));
  EXPECT_EQ(open.mode, LoadMode::kOpen);
  EXPECT_EQ(open.schedule.process, ArrivalProcess::kPoisson);
  ASSERT_EQ(open.schedule.phases.size(), 2u);
  EXPECT_EQ(open.schedule.phases[0], Phase::warmup(1'000'000'000, 250));
  EXPECT_EQ(open.schedule.phases[1], Phase::steady(3'000'000'000, 250));
  EXPECT_GT(open.request_timeout_ns, 500'000'000);  // lost only after the deadline
  o.concurrency = 8;
  ASSERT_OK_AND_ASSIGN(Scenario closed, scenarioFromFlags(o));
  EXPECT_EQ(closed.mode, LoadMode::kClosed);
  EXPECT_EQ(closed.closed.concurrency, 8u);
  EXPECT_EQ(closed.closed.duration_ns, 3'000'000'000);
}

TEST(LoadgenCliUnitTest, BindAndAdvertiseDefaultToLoopbackAndParse) {
  std::vector<std::string> args{"spikeline-loadgen", "--routes", "r.yaml"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  LoadgenOptions defaults;
  EXPECT_EQ(parseOptions(static_cast<int>(argv.size()), argv.data(), defaults), -1);
  EXPECT_EQ(defaults.bind, "tcp://127.0.0.1:*");
  EXPECT_EQ(defaults.advertise, "");
  args = {"spikeline-loadgen", "--routes", "r.yaml", "--bind", "tcp://0.0.0.0:*",
          "--advertise", "tcp://10.0.0.9:*"};
  argv.clear();
  for (std::string& a : args) argv.push_back(a.data());
  LoadgenOptions o;
  EXPECT_EQ(parseOptions(static_cast<int>(argv.size()), argv.data(), o), -1);
  EXPECT_EQ(o.bind, "tcp://0.0.0.0:*");
  EXPECT_EQ(o.advertise, "tcp://10.0.0.9:*");
}

TEST(LoadgenCliUnitTest, RandomInputsHaveTheModelShapeAndDensity) {
  InputSpec spec;
  spec.kind = "random";
  spec.density = 0.25;
  spec.count = 4;
  ASSERT_OK_AND_ASSIGN(InputSet set, loadInputs(spec, Shape{1, 28, 28}));
  ASSERT_EQ(set.tensors.size(), 4u);
  EXPECT_TRUE(set.labels.empty());
  double on = 0;
  for (const Tensor& t : set.tensors) {
    const auto& dense = std::get<DenseTensor>(t);
    EXPECT_EQ(dense.shape(), (Shape{1, 28, 28}));
    for (float v : dense.floats()) on += v;
  }
  EXPECT_NEAR(on / (4 * 784), 0.25, 0.05);
  spec.density = 1.5;
  EXPECT_STATUS_CODE(loadInputs(spec, Shape{1, 28, 28}).status(), StatusCode::kInvalidArgument);
}

// Debian's dataset-fashion-mnist (scripts/setup.sh installs it).
TEST(LoadgenCliUnitTest, SequenceModelsGetOneImageRowPerTimestep) {
  InputSpec spec;
  spec.kind = "fmnist";
  spec.count = 3;
  ASSERT_OK_AND_ASSIGN(InputSet whole, loadInputs(spec, Shape{1, 28, 28}, 28));
  ASSERT_OK_AND_ASSIGN(InputSet rows, loadInputs(spec, Shape{28}, 28));
  ASSERT_EQ(rows.tensors.size(), 3u);
  const auto& seq = std::get<DenseTensor>(rows.tensors[1]);
  const auto& img = std::get<DenseTensor>(whole.tensors[1]);
  EXPECT_EQ(seq.shape(), (Shape{28}));
  EXPECT_EQ(seq.timesteps(), 28u);
  EXPECT_EQ(img.timesteps(), 1u);
  EXPECT_TRUE(std::ranges::equal(seq.floats(), img.floats()));  // row t at step t
  EXPECT_EQ(rows.labels, whole.labels);
  EXPECT_STATUS_CODE(loadInputs(spec, Shape{27}, 28).status(), StatusCode::kInvalidArgument);
}

TEST(LoadgenCliUnitTest, LabelMapGroupsClassesAndRejectsBadEntries) {
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> map, parseLabelMap("0,0,0,0,0,1,0,1,2,1"));
  EXPECT_EQ(map, (std::vector<uint8_t>{0, 0, 0, 0, 0, 1, 0, 1, 2, 1}));
  for (const char* bad : {"", "0,,1", "0,x", "1,-1", "300", "1,2,"}) {
    Result<std::vector<uint8_t>> r = parseLabelMap(bad);
    EXPECT_STATUS_CODE(r.status(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(parseLabelMap("0,x").status().message().find("entry 1 ('x')"), std::string::npos);
  InputSpec spec;
  spec.kind = "fmnist";
  spec.count = 50;
  ASSERT_OK_AND_ASSIGN(InputSet plain, loadInputs(spec, Shape{1, 28, 28}));
  spec.label_map = map;
  ASSERT_OK_AND_ASSIGN(InputSet grouped, loadInputs(spec, Shape{1, 28, 28}));
  for (size_t i = 0; i < plain.labels.size(); ++i) {
    EXPECT_EQ(grouped.labels[i], map[plain.labels[i]]);
  }
  spec.label_map = {0, 1};  // too short for labels up to 9
  EXPECT_STATUS_CODE(loadInputs(spec, Shape{1, 28, 28}).status(), StatusCode::kInvalidArgument);
}

TEST(LoadgenCliUnitTest, ActionSinkRefusesWorkersItWasNotTold) {
  auto sink = makeProcessActionSink(ProcessActionOptions{});
  ScenarioAction kill{0, ActionKind::kKillWorker, "features-0", std::nullopt, 0};
  EXPECT_STATUS_CODE(sink->execute(kill), StatusCode::kNotFound);
  ScenarioAction fault{0, ActionKind::kInjectChipFault, "chip-0", 3u, 0};
  EXPECT_STATUS_CODE(sink->execute(fault), StatusCode::kNotFound);
  ScenarioAction broker{0, ActionKind::kRestartBroker, "", std::nullopt, 0};
  EXPECT_STATUS_CODE(sink->execute(broker), StatusCode::kUnimplemented);
  ProcessActionOptions with_cmd;
  with_cmd.restart_broker_command = "exit 3";
  EXPECT_STATUS_CODE(makeProcessActionSink(with_cmd)->execute(broker), StatusCode::kUnavailable);
  with_cmd.restart_broker_command = "true";
  EXPECT_OK(makeProcessActionSink(with_cmd)->execute(broker));
}

}  // namespace
}  // namespace spikeline::loadgen::cli
