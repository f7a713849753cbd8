// The broker's Prometheus metrics (issue 12): counters derived from the events it records (one
// place sees every worker_down, hardware_fault, routes, promoted, deploy...) and gauges of the
// state after each recompute. Pure functions over values plus the thread-safe registry; called
// on the broker loop's thread, never per data frame. Thread safety: as MetricsRegistry.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "broker/state.h"
#include "metrics/registry.h"

namespace spikeline::broker {

// Declares every family below (call once per registry).
void declareBrokerMetrics(metrics::MetricsRegistry& registry);
// Counts one recorded event: spikeline_broker_events_total{kind} and its dedicated counter.
void countBrokerEvent(metrics::MetricsRegistry& registry, const BrokerEvent& event);
// One request refused by a rate limit: spikeline_broker_rate_limited_total{limit}.
void countRateLimited(metrics::MetricsRegistry& registry, const std::string& limit);
// Workers by state: "serving" (routed), "standby", "idle" (up, no pool) and "down"; every state
// is present (0 when none).
std::map<std::string, size_t> workersByState(const std::map<std::string, WorkerInfo>& workers,
                                             const PlacementMap& placement,
                                             const HealthSnapshot& health);
// Serving replicas that run on a fallback backend (one other than the first the pool's placement
// lists; the first deployed model's stage decides, as computePlacement reads it), by backend;
// every backend present (0 when none).
std::map<std::string, size_t> fallbackReplicas(const std::vector<DeployedModel>& models,
                                               const std::map<std::string, WorkerInfo>& workers,
                                               const PlacementMap& placement);
// spikeline_broker_fallback_replicas{backend} and spikeline_broker_fallbacks_total, which grows
// by how many more replicas serve on a fallback than at the previous call (`previous_total`,
// updated).
void setFallbackMetrics(metrics::MetricsRegistry& registry,
                        const std::map<std::string, size_t>& by_backend, size_t& previous_total);
// The gauges after a recompute: route epoch, workers by state, placement problems.
void setBrokerGauges(metrics::MetricsRegistry& registry, uint64_t route_epoch,
                     const std::map<std::string, size_t>& by_state, size_t placement_problems);

}  // namespace spikeline::broker
