// BrokerService: the broker's state machine, without sockets. It turns worker messages (register,
// heartbeat, deregister, fault) and admin requests (deploy, undeploy, models, routes, workers,
// events, fault) into replies, assignments to workers and route tables to publish, and keeps
// every change in the Store (no state of its own: restore() rebuilds it). While the store is
// unreachable it serves from memory and catches up (full rewrite) when the store returns.
// Owns its state; borrows Store and Clock. Thread safety: none; the broker loop's thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker/agent/protocol.h"
#include "broker/health_tracker.h"
#include "broker/rate_limiter.h"
#include "broker/state.h"
#include "broker/store.h"
#include "core/clock.h"

namespace spikeline::metrics {
class MetricsRegistry;
}  // namespace spikeline::metrics

namespace spikeline::broker {

struct ServiceOptions {
  HealthOptions health;
  int64_t republish_interval_ns = 1'000'000'000;  // routes re-sent on PUB. Default: 1 s
  int64_t store_retry_interval_ns = 200'000'000;  // catch-up attempts; pings every 5x. Default: 200 ms
  size_t max_pending_events = 10000;              // kept while the store is away
  // Admin requests (and messages no worker sends) per connection; worker messages (register,
  // heartbeat, deregister, fault, injected) are never limited (docs/security.md says why).
  // Default: 50/s, burst 100, 4096 connections tracked.
  RateLimit admin_rate;
  // Where events are counted and state gauges set (broker_metrics.h); borrowed, may be null.
  metrics::MetricsRegistry* metrics = nullptr;
  // With CURVE on (docs/decisions/0010) every worker must register its data port's public key,
  // or no client could connect to it securely: a registration without one is refused.
  bool require_curve_keys = false;
  // A worker registering a data endpoint (or key) the broker has not seen answer enters the
  // routes only once it answered a hello there (EndpointChecker); until then it is down with
  // "endpoint not verified". Retried every `endpoint_retry_ns` while its session lives.
  bool check_endpoints = false;
  int64_t endpoint_retry_ns = 2'000'000'000;  // Default: 2 s
};

// A worker's advertised data endpoint to check (the socket loop's EndpointChecker), and what
// the check found.
struct EndpointCheck {
  std::string worker;
  std::string endpoint;
  std::string curve_key;  // the data port's key; "" = plaintext
  friend bool operator==(const EndpointCheck&, const EndpointCheck&) = default;
};
struct EndpointCheckResult {
  EndpointCheck check;
  Status status;  // ok: the worker answered a hello there
};

// What the socket loop must send after a call.
struct Outbox {
  std::vector<std::pair<std::string, Parts>> to_peers;  // (routing id, message)
  std::vector<Parts> to_publish;
  std::vector<EndpointCheck> to_check;
};

class BrokerService {
 public:
  BrokerService(Store& store, const Clock& clock, ServiceOptions options);
  ~BrokerService();

  // Loads models, workers, placement, health and routes from the store; re-sends every
  // worker its assignment. kUnavailable while the store is unreachable (call again).
  Status restore(Outbox& out);
  // One message from `peer` (its routing id) on the ROUTER.
  void onMessage(const std::string& peer, const Parts& parts, Outbox& out);
  // Timers: missed heartbeats, store catch-up, periodic route re-publication, endpoint re-checks.
  void tick(Outbox& out);
  // The outcome of an Outbox::to_check (ignored when the worker has since moved or left).
  void onEndpointChecked(const EndpointCheckResult& result, Outbox& out);
  // Milliseconds the loop may sleep before tick() is due.
  int64_t msUntilTick() const;

  const wire::RouteTable& routes() const;

  struct State;  // internal (broker/service_state.h)

 private:
  std::unique_ptr<State> s_;
};

}  // namespace spikeline::broker
