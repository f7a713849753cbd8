// RouteSubscriber: the read-only side of the broker's Clone pattern (decision 0004 §4) for
// clients and observers that are not workers: a snapshot from the broker's ROUTER (`routes`
// admin op) as soon as it answers, then every table published on its PUB; only a strictly newer
// epoch replaces the held one and reaches the callback, so a late or lossy subscriber converges
// (the broker re-publishes every second). It never registers, so it never shows up among the
// workers. Owns its thread and sockets; the destructor joins. Thread safety: routes() from any
// thread; the callback runs on the subscriber's thread and must not block.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "transport/curve.h"
#include "wire/control.h"

namespace spikeline::broker {

struct RouteSubscriberOptions {
  std::string broker_endpoint;  // the broker's ROUTER (snapshot), e.g. "tcp://broker:5555"
  std::string routes_endpoint;  // the broker's PUB, e.g. "tcp://broker:5556"
  int snapshot_retry_ms = 500;  // until the first snapshot arrives. Default: 500 ms
  // CURVE client of the broker (both sockets; docs/decisions/0010); disabled = plaintext.
  transport::CurveIdentity curve;
};

class RouteSubscriber {
 public:
  virtual ~RouteSubscriber() = default;
  // The newest table held (epoch 0 before the first).
  virtual wire::RouteTable routes() const = 0;
};

// Starts the subscriber thread; `on_newer` gets every strictly newer table (may be empty).
// kInvalidArgument for an empty endpoint; socket errors as kUnavailable.
Result<std::unique_ptr<RouteSubscriber>> startRouteSubscriber(
    RouteSubscriberOptions options, std::function<void(const wire::RouteTable&)> on_newer);

}  // namespace spikeline::broker
