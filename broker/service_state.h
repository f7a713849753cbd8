// Internal to broker/: the state behind BrokerService and the helpers its .cpp files share
// (broker_service.cpp: recompute, persistence, dispatch; worker_messages.cpp: worker messages;
// admin_ops.cpp: admin requests).
// Owned by BrokerService. Thread safety: none; the broker loop's thread only.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "broker/broker_service.h"
#include "broker/placement.h"
#include "broker/rate_limiter.h"
#include "wire/control.h"

namespace spikeline::broker {

struct BrokerService::State {
  State(Store& store_in, const Clock& clock_in, ServiceOptions options_in)
      : store(store_in),
        clock(clock_in),
        options(options_in),
        health(clock_in, options_in.health),
        admin_limiter(options_in.admin_rate) {}

  Store& store;
  const Clock& clock;
  ServiceOptions options;
  HealthTracker health;
  RateLimiter admin_limiter;  // admin requests (and messages no worker sends) per connection
  std::map<ModelRef, StoredModel> models;
  std::map<std::string, WorkerInfo> workers;
  // A worker's session: the ROUTER connection (routing id) its accepted registration came
  // from. Heartbeats, faults and deregistration naming the worker are accepted only from it
  // (docs/decisions/0008). In memory only: after a broker restart workers register again.
  struct Session {
    std::string peer;
    int64_t registered_ns = 0;  // wall clock
    std::string endpoint;       // the data endpoint it registered
  };
  std::map<std::string, Session> sessions;  // worker name -> its session
  // Workers whose advertised endpoint has not answered a hello yet (check_endpoints): kept out
  // of placement and routes. In memory: restored workers were checked when they registered.
  struct Unverified {
    EndpointCheck check;
    int64_t next_check_ns = 0;  // monotonic; 0 = not checked yet (idle: it has no pool)
    bool failure_logged = false;
  };
  std::map<std::string, Unverified> unverified;
  std::set<std::pair<std::string, std::string>> refusals_logged;  // (peer, what): log once
  std::map<std::string, Assignment> sent;    // last assignment sent to each worker
  PlacementMap placement;
  HealthSnapshot last_health;
  wire::RouteTable routes;
  std::vector<std::string> last_errors;  // placement errors of the last recompute
  size_t fallback_replicas = 0;          // serving on a fallback backend, last recompute
  bool dirty = false;                    // some store write failed: catch up later
  uint64_t synced_connections = 0;       // store connectionCount() when last in sync
  std::vector<std::pair<BrokerEvent, int64_t>> pending_events;
  // `fault` requests forwarded to a worker, by ticket, until it answers or kFaultAnswerNs pass.
  struct PendingFault {
    std::string admin_peer;  // who asked
    uint64_t admin_id = 0;   // their request id
    std::string worker;
    std::string what;        // "whole chip, permanent", for the event
    int64_t deadline_ns = 0;  // monotonic
  };
  std::map<uint64_t, PendingFault> pending_faults;
  uint64_t next_fault_ticket = 0;
  int64_t next_publish_ns = 0;
  int64_t next_store_retry_ns = 0;

  // Logs the event and appends it to the store's stream (or keeps it until the store is back).
  void event(const BrokerEvent& e);
  // Runs a store write; a failure marks the state dirty (caught up by syncAll()).
  void persist(const std::function<Status()>& write);
  // Rewrites everything into the store. Ok clears `dirty`.
  Status syncAll();
  // Placement, routes and assignments after any change; publishes a newer route table.
  void recompute(Outbox& out);
  Assignment assignmentFor(const std::string& worker) const;
  // The session's routing id, or "" when the worker has no session (nothing is sent then).
  std::string peerOf(const std::string& worker) const;
  // Refuses a message from `peer` about `worker` with `status`: an error reply always; a
  // warning and a `refused` event once per (peer, what), so a repeating peer cannot drown them.
  void refuse(const std::string& peer, const std::string& worker, const std::string& what,
              const Status& status, Outbox& out);
  void publishRoutes(Outbox& out);
  std::vector<DeployedModel> summaries() const;
  std::vector<WorkerInfo> workerList() const;
};

// ["reply", {"id": id, "ok": true, ...fields}] / {"ok": false, "code", "message"}.
Parts okReply(uint64_t id, const std::string& fields_json, Parts attachments = {});
Parts errorReply(uint64_t id, const Status& status);

// Charges a message that is not a worker's (admin, unknown tags or shapes, undecodable worker
// messages) to `peer`'s admin bucket. False
// when over the limit: then it has answered resource_exhausted (under the request's id, with
// "retry_after_ms"), counted it, and logged the peer (once per log period).
bool admitAdmin(BrokerService::State& s, const std::string& peer, const Parts& parts, Outbox& out);

// Handles ["admin", request JSON, attachments...] from `peer`. Every request is answered at once,
// except `fault`, answered when the worker does (onInjectResult) or after kFaultAnswerNs.
void handleAdmin(BrokerService::State& s, const std::string& peer, const Parts& parts, Outbox& out);

// A health reason recorded for a hardware fault (kept across heartbeats, unlike a silence).
inline bool isFaultReason(const std::string& reason) {
  return reason.rfind("hardware fault", 0) == 0;
}

// Endpoint checks (endpoint_checks.cpp): after an accepted registration, whether the worker's
// endpoint must answer a hello before it is routed (then it is marked unverified, and checked
// once it is sent a pool); the due re-checks of those still unverified.
void checkEndpointIfNew(BrokerService::State& s, const WorkerInfo& before, bool known,
                        const WorkerInfo& now);
void recheckEndpoints(BrokerService::State& s, int64_t now_ns, Outbox& out);
// Checks `worker` now when it is unverified (an assignment with a pool was just sent to it).
void checkEndpointNow(BrokerService::State& s, const std::string& worker, Outbox& out);
// Why an unverified worker is not routed, for `workers` and the health snapshot.
std::string unverifiedReason(const BrokerService::State::Unverified& u);

// The worker messages (worker_messages.cpp), each accepted only from the worker's session.
bool wantsReplace(const Parts& parts);  // the register's {"replace": true}
void onRegister(BrokerService::State& s, const std::string& peer, const wire::RegisterWorker& r,
                bool replace, Outbox& out);
void onHeartbeat(BrokerService::State& s, const std::string& peer, const wire::Heartbeat& hb,
                 Outbox& out);
void onDeregister(BrokerService::State& s, const std::string& peer, const wire::Deregister& d,
                  Outbox& out);
void onFault(BrokerService::State& s, const std::string& peer, const wire::HardwareFault& f,
             Outbox& out);

// How long `fault` waits for the worker's answer.
inline constexpr int64_t kFaultAnswerNs = 2'000'000'000;
// ["injected", result] from `peer`: answers the pending `fault` request of its ticket (only from
// the session of the worker it was sent to).
void onInjectResult(BrokerService::State& s, const std::string& peer, const Parts& parts,
                    Outbox& out);
// Answers `deadline_exceeded` to every pending `fault` past its deadline.
void expireFaults(BrokerService::State& s, Outbox& out);

}  // namespace spikeline::broker
