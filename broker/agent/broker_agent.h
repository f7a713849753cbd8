// BrokerAgent: the worker side of the control plane. It registers the worker with the broker,
// heartbeats on its own thread with its own sockets, reports hardware faults at once, and
// receives assignments (what to host), fault injections and route tables (Clone pattern:
// snapshot on start, then published tables; only a newer epoch replaces the held one, so a
// late or lossy subscriber converges). Owned by the worker's main(); stop() or the destructor
// deregisters and joins. Thread safety: every public method may be called from any thread;
// callbacks run on the agent's thread and must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "broker/agent/protocol.h"
#include "core/clock.h"
#include "core/result.h"
#include "transport/curve.h"
#include "wire/control.h"

namespace spikeline::broker {

struct AgentOptions {
  std::string broker_endpoint;  // the broker's ROUTER, e.g. "tcp://broker:5555"
  std::string routes_endpoint;  // the broker's PUB, e.g. "tcp://broker:5556"
  wire::RegisterWorker self;    // who we are
  // Take the name over from a live session (`spikeline-worker --replace`); without it a
  // registration under a name held by a live session is refused (docs/decisions/0008).
  bool replace = false;
  int64_t heartbeat_interval_ns = 200'000'000;  // Default: 200 ms (the broker's default)
  // CURVE client of the broker on both sockets (docs/decisions/0010); disabled = plaintext.
  // With it, `self.curve_key` should be `curve.self.public_key` (one key pair per process).
  transport::CurveIdentity curve;
};

// Called on the agent thread. Any may be empty.
struct AgentCallbacks {
  std::function<void(const Assignment&)> on_assignment;     // a changed assignment only
  std::function<void(const wire::RouteTable&)> on_routes;   // each newer table
  // `spikeline fault`: what applying it gave goes back to the broker (and the CLI). Empty: the
  // agent answers unimplemented.
  std::function<Status(const InjectFault&)> on_inject_fault;
  // The broker refused this agent's session (its name is held by another live session, or
  // another registration took it over); the agent has stopped heartbeating. Called once.
  std::function<void(const std::string& message)> on_refused;
};

class BrokerAgent {
 public:
  virtual ~BrokerAgent() = default;
  // The newest route table received (epoch 0 before the first).
  virtual wire::RouteTable routes() const = 0;
  // The current assignment; nullopt before the broker sent one.
  virtual std::optional<Assignment> assignment() const = 0;
  // True once the broker has acknowledged registration (an assignment or routes arrived).
  virtual bool connected() const = 0;
  // The broker's message when it refused this agent's session (on_refused); "" otherwise.
  virtual std::string refusal() const = 0;
  // Sends a HardwareFault to the broker now (not at the next heartbeat).
  virtual void reportFault(const wire::HardwareFault& fault) = 0;
  // Reported in every later heartbeat.
  virtual void setLoad(float load, wire::BackendHealth health) = 0;
  // Stops heartbeating (the broker will see missed beats). Test hook for "worker hangs".
  virtual void pauseHeartbeats(bool paused) = 0;
  // Sends Deregister with `reason` (when `deregister`), stops the thread. Idempotent.
  virtual void stop(const std::string& reason, bool deregister = true) = 0;
};

// Starts the agent thread. kInvalidArgument for empty endpoints or worker name.
Result<std::unique_ptr<BrokerAgent>> startBrokerAgent(const AgentOptions& options,
                                                      AgentCallbacks callbacks);

// The route of `model` in `table`, or nullptr.
const wire::ModelRoute* findModelRoute(const wire::RouteTable& table, const ModelRef& model);

}  // namespace spikeline::broker
