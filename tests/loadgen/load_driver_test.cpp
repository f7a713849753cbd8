#include "loadgen/load_driver.h"

#include "loadgen/scenario_runner.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/loadgen/sim_target.h"
#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"

namespace spikeline::loadgen {
namespace {

using testing::SimPacer;
using testing::SimReply;
using testing::SimTarget;
using testing::SimWorld;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSecond = 1'000 * kMs;

// One simulated world: a fake clock, its event queue, a target with a 1 ms service time.
struct Sim {
  spikeline::testing::FakeClock clock;
  SimWorld world{clock};
  SimPacer pacer{world};
  SimTarget target{world, 1 * kMs};

  RunReport open(const ScheduleSpec& spec, DriverOptions options = {}) {
    Result<ArrivalSchedule> schedule = ArrivalSchedule::make(spec);
    EXPECT_TRUE(schedule.isOk());
    LoadDriver driver(target, clock, pacer, std::move(options));
    Result<RunReport> report = driver.runOpenLoop(std::move(schedule).value());
    EXPECT_TRUE(report.isOk()) << report.status();
    return report.isOk() ? std::move(report).value() : RunReport{};
  }
  RunReport closed(const ClosedLoopSpec& spec, DriverOptions options = {}) {
    LoadDriver driver(target, clock, pacer, std::move(options));
    Result<RunReport> report = driver.runClosedLoop(spec);
    EXPECT_TRUE(report.isOk()) << report.status();
    return report.isOk() ? std::move(report).value() : RunReport{};
  }
};

ScheduleSpec steady(int64_t duration_ns, double rate) {
  return ScheduleSpec{{Phase::steady(duration_ns, rate)}};
}

TEST(LoadDriverTest, OpenLoopAnswersEveryRequestOnceWithTheServiceTime) {
  Sim sim;
  RunReport r = sim.open(steady(2 * kSecond, 1000));
  EXPECT_EQ(r.mode, "open");
  EXPECT_EQ(r.sent, 2000u);
  EXPECT_EQ(r.completed, 2000u);
  EXPECT_EQ(r.lost, 0u);
  EXPECT_EQ(r.duplicates, 0u);
  EXPECT_EQ(r.errorCount(), 0u);
  EXPECT_EQ(r.latency.count, 2000u);
  EXPECT_EQ(r.latency.min_ns, 1 * kMs);
  EXPECT_EQ(r.latency.max_ns, 1 * kMs);
  EXPECT_NEAR(r.throughput_rps, 1000, 1);
  EXPECT_EQ(r.max_send_lag_ns, 0);
  EXPECT_FALSE(r.accuracy().has_value());
}

// The coordinated-omission test: the target stops answering for 1 s in a 10 s run.
TEST(LoadDriverTest, StallShowsInOpenLoopPercentilesButClosedLoopHidesIt) {
  constexpr int64_t kStall = 1 * kSecond;
  Sim open_sim;
  open_sim.target.stall(open_sim.clock.monotonicNs() + 5 * kSecond,
                        open_sim.clock.monotonicNs() + 5 * kSecond + kStall);
  RunReport open = open_sim.open(steady(10 * kSecond, 1000));

  Sim closed_sim;
  closed_sim.target.stall(closed_sim.clock.monotonicNs() + 5 * kSecond,
                          closed_sim.clock.monotonicNs() + 5 * kSecond + kStall);
  RunReport closed = closed_sim.closed({1, 0, 10 * kSecond});

  // Open loop: the ~1000 requests due during the stall waited up to 1 s each.
  EXPECT_EQ(open.lost, 0u);
  EXPECT_GE(open.latency.p99_ns, kStall / 2);
  EXPECT_GE(open.latency.p90_ns, 1 * kMs);
  EXPECT_GE(open.latency.max_ns, kStall - 2 * kMs);
  // Closed loop: only the one request in flight saw the stall; p99 looks healthy.
  EXPECT_GE(closed.latency.max_ns, kStall - 2 * kMs);
  EXPECT_LT(closed.latency.p99_ns, 2 * kMs);
  EXPECT_GT(open.latency.p99_ns, 100 * closed.latency.p99_ns);
}

// A Target whose submit() blocks the sender (here: for 1 s at request 2000). Requests that were
// due meanwhile go out late; measured from their intended time, the blocked second shows.
class BlockingTarget final : public Target {
 public:
  BlockingTarget(spikeline::testing::FakeClock& clock, SimWorld& world)
      : clock_(clock), world_(world) {}
  void submit(uint64_t index, int64_t, CompletionSink& sink) override {
    if (index == 2000) clock_.advanceNs(kSecond);
    world_.at(world_.now() + kMs, [&sink, index] { sink.complete(Completion{index}); });
  }

 private:
  spikeline::testing::FakeClock& clock_;
  SimWorld& world_;
};

TEST(LoadDriverTest, BlockedSenderIsMeasuredFromTheIntendedSendTime) {
  Sim sim;
  BlockingTarget target(sim.clock, sim.world);
  LoadDriver driver(target, sim.clock, sim.pacer, {});
  ASSERT_OK_AND_ASSIGN(ArrivalSchedule schedule, ArrivalSchedule::make(steady(5 * kSecond, 1000)));
  ASSERT_OK_AND_ASSIGN(RunReport r, driver.runOpenLoop(std::move(schedule)));
  EXPECT_EQ(r.completed, 5000u);
  EXPECT_GE(r.max_send_lag_ns, kSecond - kMs);
  EXPECT_GE(r.latency.p99_ns, kSecond / 2);  // ~1000 requests went out up to 1 s late
  EXPECT_EQ(r.latency.min_ns, kMs);
}

TEST(LoadDriverTest, WarmupIsSentButNotMeasured) {
  Sim sim;
  sim.target.setPolicy([](uint64_t i) {
    return SimReply{Outcome::kOk, -1, 1, i < 500 ? 49 * kMs : 0};  // slow while warming up
  });
  RunReport r = sim.open({{Phase::warmup(kSecond, 500), Phase::steady(kSecond, 500)}});
  EXPECT_EQ(r.warmup_sent, 500u);
  EXPECT_EQ(r.sent, 500u);
  EXPECT_EQ(r.latency.count, 500u);
  EXPECT_EQ(r.latency.max_ns, 1 * kMs);
}

TEST(LoadDriverTest, UnansweredRequestsAreLostAtTheirDeadlineAndLateRepliesIgnored) {
  Sim sim;
  sim.target.setPolicy([](uint64_t i) {
    if (i % 10 == 0) return SimReply{Outcome::kOk, -1, 0, 0};                    // never answered
    if (i % 10 == 1 && i < 50) return SimReply{Outcome::kOk, -1, 1, 300 * kMs};  // too late
    return SimReply{};
  });
  DriverOptions options;
  options.recorder.request_timeout_ns = 200 * kMs;
  RunReport r = sim.open(steady(kSecond, 100), options);
  EXPECT_EQ(r.sent, 100u);
  EXPECT_EQ(r.lost, 15u);
  EXPECT_EQ(r.late, 5u);  // seen before the run ended; not counted as results
  EXPECT_EQ(r.completed, 85u);
  EXPECT_EQ(r.latency.max_ns, 1 * kMs);
}

TEST(LoadDriverTest, DuplicateResultsAreCountedNotDoubleCounted) {
  Sim sim;
  sim.target.setPolicy([](uint64_t i) {
    return SimReply{Outcome::kOk, -1, i % 5 == 0 ? 2 : 1, 0};
  });
  RunReport r = sim.open(steady(kSecond, 100));
  EXPECT_EQ(r.completed, 100u);
  EXPECT_EQ(r.duplicates, 20u);
  EXPECT_EQ(r.latency.count, 100u);
}

TEST(LoadDriverTest, ErrorsAreCountedByKind) {
  Sim sim;
  sim.target.setPolicy([](uint64_t i) {
    static const Outcome kinds[] = {Outcome::kOk,          Outcome::kOverloaded, Outcome::kDeadline,
                                    Outcome::kUnavailable, Outcome::kInvalid,    Outcome::kOther};
    return SimReply{kinds[i % 6], -1, 1, 0};
  });
  RunReport r = sim.open(steady(kSecond, 600));
  for (int k = 1; k < kOutcomeCount; ++k) EXPECT_EQ(r.errors_by_kind[k], 100u) << k;
  EXPECT_EQ(r.errorCount(), 500u);
  EXPECT_EQ(r.completed, 100u);
  EXPECT_EQ(r.latency.count, 100u);
}

TEST(LoadDriverTest, AccuracyComparesPredictionsWithLabels) {
  Sim sim;
  DriverOptions options;
  options.recorder.labels = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
  const std::vector<uint8_t> labels = options.recorder.labels;
  sim.target.setPolicy([&labels](uint64_t i) {
    const int32_t truth = labels[i % labels.size()];
    return SimReply{Outcome::kOk, i % 4 == 0 ? (truth + 1) % 10 : truth, 1, 0};
  });
  RunReport r = sim.open(steady(kSecond, 400), options);
  EXPECT_EQ(r.labelled, 400u);
  EXPECT_EQ(r.correct, 300u);
  ASSERT_TRUE(r.accuracy().has_value());
  EXPECT_DOUBLE_EQ(*r.accuracy(), 0.75);
}

TEST(LoadDriverTest, TimelineHasOneRowPerSecondWithTheStallInIt) {
  Sim sim;
  sim.target.stall(sim.clock.monotonicNs() + 2 * kSecond,
                   sim.clock.monotonicNs() + 2 * kSecond + 500 * kMs);
  RunReport r = sim.open(steady(4 * kSecond, 200));
  ASSERT_GE(r.timeline.size(), 4u);
  for (size_t s = 0; s < 4; ++s) {
    EXPECT_EQ(r.timeline[s].second, s);
    EXPECT_EQ(r.timeline[s].sent, 200u) << s;
  }
  EXPECT_EQ(r.timeline[0].p99_ns, 1 * kMs);
  EXPECT_GE(r.timeline[2].p99_ns, 400 * kMs);  // the held replies all land in second 2
  EXPECT_EQ(r.timeline[3].max_ns, 1 * kMs);
  uint64_t completed = 0;
  for (const TimelineRow& row : r.timeline) completed += row.completed;
  EXPECT_EQ(completed, 800u);
}

TEST(LoadDriverTest, ClosedLoopKeepsConcurrencyInFlight) {
  Sim sim;
  RunReport r = sim.closed({4, 0, kSecond});
  EXPECT_EQ(r.mode, "closed");
  EXPECT_EQ(sim.target.maxInFlight(), 4u);
  EXPECT_NEAR(static_cast<double>(r.completed), 4000, 8);  // 4 slots x 1 ms service x 1 s
  EXPECT_EQ(r.lost, 0u);
  EXPECT_EQ(r.latency.max_ns, 1 * kMs);
}

TEST(LoadDriverTest, ClosedLoopWarmupIsExcluded) {
  Sim sim;
  RunReport r = sim.closed({1, 500 * kMs, 500 * kMs});
  EXPECT_NEAR(static_cast<double>(r.warmup_sent), 500, 2);
  EXPECT_NEAR(static_cast<double>(r.sent), 500, 2);
}

class RecordingSink final : public ActionSink {
 public:
  explicit RecordingSink(const Clock& clock) : clock_(clock) {}
  Status execute(const ScenarioAction& action) override {
    fired.emplace_back(action.describe(), clock_.monotonicNs());
    return action.kind == ActionKind::kRestartBroker ? unavailable("no broker") : Status::ok();
  }
  std::vector<std::pair<std::string, int64_t>> fired;

 private:
  const Clock& clock_;
};

TEST(LoadDriverTest, ActionsFireAtTheirTimeAndAreMarked) {
  Sim sim;
  RecordingSink sink(sim.clock);
  DriverOptions options;
  options.action_sink = &sink;
  options.actions = {{1500 * kMs, ActionKind::kRestartBroker, "", std::nullopt, 0},
                     {500 * kMs, ActionKind::kKillWorker, "chip-0", std::nullopt, 0}};
  const int64_t start = sim.clock.monotonicNs();
  RunReport r = sim.open(steady(2 * kSecond, 10), options);
  ASSERT_EQ(sink.fired.size(), 2u);
  EXPECT_EQ(sink.fired[0].first, "kill_worker chip-0");
  EXPECT_EQ(sink.fired[0].second - start, 500 * kMs);
  EXPECT_EQ(sink.fired[1].second - start, 1500 * kMs);
  ASSERT_EQ(r.faults.size(), 2u);
  EXPECT_DOUBLE_EQ(r.faults[0].at_s, 0.5);
  EXPECT_EQ(r.faults[0].status, "ok");
  EXPECT_EQ(r.faults[1].label, "restart_broker");
  EXPECT_NE(r.faults[1].status.find("no broker"), std::string::npos);
}

TEST(LoadDriverTest, RejectsInvalidOptions) {
  Sim sim;
  DriverOptions options;
  options.recorder.request_timeout_ns = 0;
  LoadDriver bad(sim.target, sim.clock, sim.pacer, options);
  EXPECT_STATUS_CODE(bad.runClosedLoop({1, 0, kSecond}), StatusCode::kInvalidArgument);
  LoadDriver good(sim.target, sim.clock, sim.pacer, {});
  EXPECT_STATUS_CODE(good.runClosedLoop({0, 0, kSecond}), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(good.runClosedLoop({1, 0, 0}), StatusCode::kInvalidArgument);
}

TEST(ScenarioRunnerTest, RunsAParsedScenarioWithItsTimeoutAndActions) {
  Sim sim;
  sim.target.setPolicy([](uint64_t i) { return SimReply{Outcome::kOk, -1, i == 3 ? 0 : 1, 0}; });
  ASSERT_OK_AND_ASSIGN(Scenario scenario,
                       parseScenario("request_timeout_s: 0.25\n"
                                     "phases: [{kind: warmup, duration_s: 1, rate: 10},\n"
                                     "         {kind: steady, duration_s: 1, rate: 20}]\n"
                                     "actions: [{at_s: 1.5, action: restart_broker}]\n",
                                     "run.yaml"));
  RecordingSink sink(sim.clock);
  const int64_t start = sim.clock.monotonicNs();
  ASSERT_OK_AND_ASSIGN(RunReport r,
                       runScenario(scenario, {&sim.target, &sim.clock, &sim.pacer, &sink, {}}));
  EXPECT_EQ(r.warmup_sent, 10u);
  EXPECT_EQ(r.sent, 20u);
  EXPECT_EQ(r.completed, 20u);
  EXPECT_EQ(r.lost, 0u);  // request 3 was a warm-up request
  ASSERT_FALSE(r.timeline.empty());
  EXPECT_EQ(r.timeline[0].lost, 1u);  // declared lost at 0.3 s + the scenario's 0.25 s timeout
  ASSERT_EQ(sink.fired.size(), 1u);
  EXPECT_EQ(sink.fired[0].second - start, 1500 * kMs);
  EXPECT_STATUS_CODE(runScenario(scenario, {}), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spikeline::loadgen
