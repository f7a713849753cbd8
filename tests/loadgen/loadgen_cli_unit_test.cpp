// Pure parts of spikeline-loadgen: name=PID parsing and pid files, the scenario the load flags
// describe, random inputs, and the action sink's errors for workers it does not know.
#include <gtest/gtest.h>

#include <fstream>

#include "core/dense_tensor.h"
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
