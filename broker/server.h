// runBroker: the broker's socket loop. Binds a ROUTER (workers, CLI) and a PUB (routes), restores
// state from the store (waiting, with backoff, while it is unreachable), then feeds every message
// and timer to a BrokerService and sends what it asks. Returns when `stop` becomes true.
// Owns its sockets (this thread only); borrows Store, Clock and the stop flag.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "broker/broker_service.h"
#include "broker/store.h"
#include "core/clock.h"
#include "core/status.h"
#include "transport/curve.h"

namespace spikeline::broker {

// The endpoints the broker actually bound (port 0 or '*' resolved).
struct BoundEndpoints {
  std::string control;  // the ROUTER
  std::string routes;   // the PUB
};

struct ServerOptions {
  std::string bind = "tcp://127.0.0.1:5555";  // ROUTER for workers and the CLI; port 0 = any
  std::string pub = "tcp://127.0.0.1:5556";   // PUB of route tables; port 0 = any
  // Called once on the broker's thread when both sockets are bound, before state is restored
  // (main prints the READY line from it). May be empty.
  std::function<void(const BoundEndpoints&)> on_listening;
  ServiceOptions service;
  // CURVE (docs/decisions/0010): both sockets are CURVE servers with `curve.self`; only clients
  // whose public key is in `curve.authorized` get through the handshake (a ZAP handler), so
  // nobody else can register, heartbeat, call admin or read routes. Disabled: plaintext.
  transport::CurveIdentity curve;
};

// kUnavailable when an endpoint cannot be bound.
Status runBroker(const ServerOptions& options, Store& store, const Clock& clock,
                 const std::atomic<bool>& stop);

}  // namespace spikeline::broker
