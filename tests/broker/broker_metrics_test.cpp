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

TEST(BrokerMetricsTest, FallbackReplicasAreThoseOffTheFirstListedBackend) {
  std::map<std::string, WorkerInfo> workers;
  workers["chip-0"] = WorkerInfo{WorkerId{"chip-0"}, BackendKind::kChip};
  workers["cpu-0"] = WorkerInfo{WorkerId{"cpu-0"}, BackendKind::kCpu};
  workers["cpu-1"] = WorkerInfo{WorkerId{"cpu-1"}, BackendKind::kCpu};
  OperatorId features, classifier;
  features.value = 1;
  classifier.value = 2;
  DeployedModel m;
  m.stages.push_back(DeployedStage{"features", features, {}, Placement{{BackendKind::kChip, BackendKind::kCpu}}});
  m.stages.push_back(DeployedStage{"classifier", classifier, {}, Placement{{BackendKind::kCpu}}});
  PlacementMap placement;
  placement.pools[features] = PoolAssignment{{WorkerId{"chip-0"}}, {WorkerId{"cpu-1"}}};
  placement.pools[classifier] = PoolAssignment{{WorkerId{"cpu-0"}}, {}};
  metrics::MetricsRegistry r;
  declareBrokerMetrics(r);
  size_t previous = 0;
  setFallbackMetrics(r, fallbackReplicas({m}, workers, placement), previous);
  EXPECT_EQ(r.value("spikeline_broker_fallback_replicas", {{"backend", "cpu"}}), 0);
  EXPECT_EQ(r.value("spikeline_broker_fallbacks_total", {}), 0);
  // The chip fails: its standby on the CPU (a fallback backend) is promoted.
  placement.pools[features] = PoolAssignment{{WorkerId{"cpu-1"}}, {}};
  setFallbackMetrics(r, fallbackReplicas({m}, workers, placement), previous);
  EXPECT_EQ(r.value("spikeline_broker_fallback_replicas", {{"backend", "cpu"}}), 1);
  EXPECT_EQ(r.value("spikeline_broker_fallbacks_total", {}), 1);
  setFallbackMetrics(r, fallbackReplicas({m}, workers, placement), previous);  // unchanged
  EXPECT_EQ(r.value("spikeline_broker_fallbacks_total", {}), 1);
  // Back on the chip, then off it again: a second fallback.
  placement.pools[features] = PoolAssignment{{WorkerId{"chip-0"}}, {}};
  setFallbackMetrics(r, fallbackReplicas({m}, workers, placement), previous);
  EXPECT_EQ(r.value("spikeline_broker_fallback_replicas", {{"backend", "cpu"}}), 0);
  placement.pools[features] = PoolAssignment{{WorkerId{"cpu-1"}}, {}};
  setFallbackMetrics(r, fallbackReplicas({m}, workers, placement), previous);
  EXPECT_EQ(r.value("spikeline_broker_fallbacks_total", {}), 2);
}

}  // namespace
}  // namespace spikeline::broker
