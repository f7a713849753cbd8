#include "loadgen/scenario.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace spikeline::loadgen {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

TEST(ScenarioTest, ParsesAnOpenLoopFaultScenario) {
  const char* yaml = R"(name: kill-one-worker
mode: open
arrival: poisson
seed: 7
request_timeout_s: 2.5
phases:
  - {kind: warmup, duration_s: 5, rate: 500}
  - {kind: ramp, duration_s: 10, from: 500, to: 2000}
  - {kind: steady, duration_s: 30, rate: 2000}
actions:
  - {at_s: 20, action: kill_worker, worker: chip-0}
  - {at_s: 25.5, action: inject_chip_fault, worker: chip-1, core: 3}
  - {at_s: 26, action: inject_chip_fault, worker: chip-2}
  - {at_s: 30, action: restart_broker}
)";
  ASSERT_OK_AND_ASSIGN(Scenario s, parseScenario(yaml, "s.yaml"));
  EXPECT_EQ(s.name, "kill-one-worker");
  EXPECT_EQ(s.mode, LoadMode::kOpen);
  EXPECT_EQ(s.schedule.process, ArrivalProcess::kPoisson);
  EXPECT_EQ(s.schedule.seed, 7u);
  EXPECT_EQ(s.request_timeout_ns, 2'500'000'000);
  ASSERT_EQ(s.schedule.phases.size(), 3u);
  EXPECT_EQ(s.schedule.phases[0], Phase::warmup(5 * kSecond, 500));
  EXPECT_EQ(s.schedule.phases[1], Phase::ramp(10 * kSecond, 500, 2000));
  EXPECT_EQ(s.schedule.phases[2], Phase::steady(30 * kSecond, 2000));
  ASSERT_EQ(s.actions.size(), 4u);
  EXPECT_EQ(s.actions[0].describe(), "kill_worker chip-0");
  EXPECT_EQ(s.actions[0].at_ns, 20 * kSecond);
  EXPECT_EQ(s.actions[0].line, 11u);
  EXPECT_EQ(s.actions[1].describe(), "inject_chip_fault chip-1 core 3");
  EXPECT_EQ(s.actions[1].at_ns, 25'500'000'000);
  EXPECT_FALSE(s.actions[2].core.has_value());
  EXPECT_EQ(s.actions[3].kind, ActionKind::kRestartBroker);
  EXPECT_OK(validateSchedule(s.schedule));
}

TEST(ScenarioTest, ParsesClosedLoopWithDefaults) {
  ASSERT_OK_AND_ASSIGN(Scenario s, parseScenario("mode: closed\nclosed: {concurrency: 8, "
                                                 "duration_s: 30, warmup_s: 2}\n",
                                                 "c.yaml"));
  EXPECT_EQ(s.mode, LoadMode::kClosed);
  EXPECT_EQ(s.closed.concurrency, 8u);
  EXPECT_EQ(s.closed.duration_ns, 30 * kSecond);
  EXPECT_EQ(s.closed.warmup_ns, 2 * kSecond);
  EXPECT_EQ(s.request_timeout_ns, 10 * kSecond);
  EXPECT_TRUE(s.actions.empty());
}

struct BadCase {
  const char* yaml;
  const char* expected;  // substring of the error, including file:line
};

TEST(ScenarioTest, ErrorsNameFileLineAndField) {
  const BadCase cases[] = {
      {"phases:\n  - {kind: steady, duration_s: 0, rate: 1}\n", "b.yaml:2: phases[0].duration_s"},
      {"phases:\n  - {kind: steady, duration_s: 1, rate: fast}\n", "b.yaml:2: phases[0].rate"},
      {"phases:\n  - {kind: sprint, duration_s: 1, rate: 1}\n", "b.yaml:2: phases[0].kind"},
      {"phases:\n  - kind: ramp\n    duration_s: 1\n    from: 1\n",
       "b.yaml:2: phases[0].to: missing"},
      {"phases:\n  - {kind: steady, duration_s: 1, rate: 1, colour: red}\n",
       "phases[0].colour: unknown field"},
      {"mode: sideways\n", "b.yaml:1: mode"},
      {"mode: open\n", "b.yaml:1: phases: missing"},
      {"mode: closed\nclosed: {concurrency: 0, duration_s: 1}\n", "b.yaml:2: closed.concurrency"},
      {"phases: [{kind: steady, duration_s: 1, rate: 1}]\nactions:\n  - {at_s: 1, action: nuke}\n",
       "b.yaml:3: actions[0].action"},
      {"phases: [{kind: steady, duration_s: 1, rate: 1}]\nactions:\n  - {at_s: 1, action: "
       "kill_worker}\n",
       "b.yaml:3: actions[0].worker: missing"},
      {"phases: [{kind: steady, duration_s: 1, rate: 1}]\nactions:\n"
       "  - {at_s: 1, action: kill_worker, worker: w, core: 2}\n",
       "b.yaml:3: actions[0].core"},
      {"phases: [{kind: steady, duration_s: 1, rate: 1}]\nactions:\n  - {at_s: -1, action: "
       "restart_broker}\n",
       "b.yaml:3: actions[0].at_s"},
      {"phases: [\n  {kind: steady\n", "b.yaml:"},
      {"", "b.yaml:1: scenario: empty"},
      {"- 1\n- 2\n", "b.yaml:1: scenario: expected a mapping"},
      {"seed: -3\nphases: [{kind: steady, duration_s: 1, rate: 1}]\n", "b.yaml:1: seed"},
  };
  for (const BadCase& c : cases) {
    Result<Scenario> r = parseScenario(c.yaml, "b.yaml");
    EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos)
        << "want '" << c.expected << "' in: " << r.status();
  }
}

TEST(ScenarioTest, MissingFileIsNotFound) {
  EXPECT_STATUS_CODE(loadScenarioFile("/nonexistent/scenario.yaml"), StatusCode::kNotFound);
}

}  // namespace
}  // namespace spikeline::loadgen
