// The broker's metrics: counters from recorded events, workers by state.
#include <gtest/gtest.h>

#include "broker/broker_metrics.h"

namespace spikeline::broker {
namespace {

TEST(BrokerMetricsTest, EventsMoveTheirCountersAndUnknownKindsStayBounded) {
  metrics::MetricsRegistry r;
  declareBrokerMetrics(r);
  countBrokerEvent(r, {"worker_down", "chip-0", "missed 3 heartbeats"});
  countBrokerEvent(r, {"worker_down", "chip-0", "missed 3 heartbeats"});
  countBrokerEvent(r, {"hardware_fault", "chip-1", "chip emu0 failed"});
  countBrokerEvent(r, {"routes", "epoch 7", "1 model(s)"});
  countBrokerEvent(r, {"promoted", "cpu-2", "serving pool ab"});
  countBrokerEvent(r, {"unplaced", "ab", "no worker"});
  countBrokerEvent(r, {"something_new", "x", ""});
  EXPECT_EQ(r.value("spikeline_broker_heartbeat_misses_total", {{"worker", "chip-0"}}), 2);
  EXPECT_EQ(r.value("spikeline_broker_hardware_faults_total", {{"worker", "chip-1"}}), 1);
  EXPECT_EQ(r.value("spikeline_broker_route_changes_total", {}), 1);
  EXPECT_EQ(r.value("spikeline_broker_failovers_total", {}), 1);
  EXPECT_EQ(r.value("spikeline_broker_deploys_total", {}), 0);
  EXPECT_EQ(r.value("spikeline_broker_placement_failures_total", {{"kind", "unplaced"}}), 1);
  EXPECT_EQ(r.value("spikeline_broker_events_total", {{"kind", "worker_down"}}), 2);
  EXPECT_EQ(r.value("spikeline_broker_events_total", {{"kind", "other"}}), 1);
  EXPECT_EQ(r.render().find("something_new"), std::string::npos);
}

TEST(BrokerMetricsTest, WorkersByStateFromPlacementAndHealth) {
  std::map<std::string, WorkerInfo> workers;
  for (const char* n : {"a", "b", "c", "d", "e"}) workers[n].id = WorkerId{n};
  PlacementMap placement;
  placement.pools[OperatorId{}] = PoolAssignment{{WorkerId{"a"}, WorkerId{"d"}}, {WorkerId{"b"}}};
  HealthSnapshot health;
  health.down["d"] = "missed 3 heartbeats";
  const auto by_state = workersByState(workers, placement, health);
  EXPECT_EQ(by_state.at("serving"), 1u);
  EXPECT_EQ(by_state.at("standby"), 1u);
  EXPECT_EQ(by_state.at("idle"), 2u);
  EXPECT_EQ(by_state.at("down"), 1u);
  metrics::MetricsRegistry r;
  declareBrokerMetrics(r);
  setBrokerGauges(r, 12, by_state, 1);
  EXPECT_EQ(r.value("spikeline_broker_route_epoch", {}), 12);
  EXPECT_EQ(r.value("spikeline_broker_workers", {{"state", "idle"}}), 2);
  EXPECT_EQ(r.value("spikeline_broker_placement_problems", {}), 1);
}

}  // namespace
}  // namespace spikeline::broker
