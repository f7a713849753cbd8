// HopGroup: a sender's side of one next stage: one DEALER per replica, the credit each granted
// (CreditLedger), the frames in custody until `handed-on` (CustodyTable), heartbeats, and the
// re-send of due frames to the replica with the most free credit (decision 0002 §1-2). A frame
// given up on fails with the custody's reason plus the last nack's message, which names where it
// failed (stage, operator, worker).
// Owns its sockets and held frames; borrows the context and clock. Used only by the I/O thread
// that made it (ZeroMQ sockets are single-threaded). Never throws.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "transport/credit_ledger.h"
#include "transport/custody_table.h"
#include "transport/data_socket.h"
#include "workers/hop_event.h"
#include "workers/poll_set.h"

namespace spikeline::workers {

struct HopOptions {
  std::string routing_id;  // how the replicas name this sender; REQUIRES non-empty, unique
  transport::CustodyOptions custody;
  transport::LedgerOptions ledger;
  int64_t heartbeat_interval_ns = 100'000'000;  // hello / keep-alive per replica. Default: 100 ms
  std::string stage;  // the next stage's name, for error messages
  transport::CurveKeyPair curve_self;  // CURVE client keys; empty = plaintext (decision 0010)
  // After the route table has named no replica of the next stage for this long, held and new
  // frames fail at once with kUnavailable naming the stage, instead of waiting for their
  // deadlines (a restart shorter than this loses nothing). Default: 1 s.
  int64_t no_replica_grace_ns = 1'000'000'000;
};

struct HopStats {
  uint64_t sent = 0;      // data frames handed to a socket, re-sends included
  uint64_t resent = 0;    // sends after the first of a frame
  uint64_t rerouted = 0;  // re-sends to another replica than the previous attempt's
  uint64_t nacks = 0;
  uint64_t failed = 0;    // frames given up on
  uint64_t no_credit = 0; // due frames that found no replica with credit (they wait)
  uint64_t no_replica = 0; // frames failed because the route named no replica (after the grace)
  uint64_t probes = 0;     // heartbeats sent to a quiet replica holding our frames (0009)
  uint64_t declared_down = 0;  // replicas marked down by silence or a refused probe
};

class HopGroup {
 public:
  // Connects one DEALER per endpoint. Errors: the socket layer's.
  static Result<std::unique_ptr<HopGroup>> make(
      transport::TransportContext& context, const Clock& clock,
      const std::vector<transport::PeerAddress>& endpoints, HopOptions options);

  // Takes custody of an encoded frame stamped attempt 1; it is sent by the next tick().
  // kAlreadyExists when the request is held already. `deadline_ns` is monotonic.
  Status hold(RequestId request_id, transport::Bytes frame, int64_t deadline_ns);

  // Registers the DEALERs with `poll`; onPolled reads those that are readable.
  void addToPoll(PollSet& poll);
  void onPolled(const PollSet& poll, std::vector<HopEvent>& events);
  // Heartbeats, liveness, and sending every due frame. Call after onPolled.
  void tick(std::vector<HopEvent>& events);

  size_t held() const { return custody_.size(); }
  // Free credit over live replicas minus frames waiting to be sent (what a client may admit).
  int64_t admissible() const;
  // True when some held frame waits to be sent (poll with a short timeout).
  bool hasPending() const { return pending_ > 0; }
  // While some replica has not granted credit yet, tick() re-sends its hello after 1 ms, then
  // 2, 4, ... up to the heartbeat interval. DEALERs use ZMQ_IMMEDIATE, so a hello sent before
  // the TCP connection completes is dropped; without retries a replica that just joined (a
  // promoted standby, a restarted worker) would wait for the next heartbeat (100 ms).
  // Nanoseconds until the next such hello; -1 when every replica has granted.
  int64_t helloDueInNs() const;
  // How long the owner's poll may wait for this group: 1 ms with frames waiting to be sent, until
  // the next hello re-send while a replica has not granted, else `idle_ms`.
  int pollTimeoutMs(int idle_ms) const;
  static constexpr int64_t kFirstHelloRetryNs = 1'000'000;
  const HopStats& stats() const { return stats_; }
  // Live replicas (removed ones excluded).
  size_t replicaCount() const;
  // Makes the replica set exactly `endpoints` (a newer route epoch): connects a DEALER per new
  // endpoint and closes those no longer listed; frames in custody at a removed replica are
  // re-sent elsewhere (decision 0002 §2). Replica ids are never reused.
  Status setEndpoints(const std::vector<transport::PeerAddress>& endpoints);
  const transport::ReplicaCredit* replica(size_t r) const;

 private:
  HopGroup(transport::TransportContext& context, const Clock& clock, HopOptions options);
  Status addEndpoint(const transport::PeerAddress& endpoint);
  void drain(transport::ReplicaId r, std::vector<HopEvent>& events);
  void onControl(transport::ReplicaId r, const transport::Bytes& payload,
                 std::vector<HopEvent>& events);
  void sendDue(const transport::CustodyAction& action, std::vector<HopEvent>& events);
  void replicaDown(transport::ReplicaId r);
  bool awaitingGrant(transport::ReplicaId r) const;

  transport::TransportContext& context_;
  const Clock& clock_;
  HopOptions options_;
  std::vector<transport::PeerAddress> endpoints_;  // per replica id; empty once removed
  transport::CreditLedger ledger_;
  transport::CustodyTable custody_;
  std::vector<std::unique_ptr<transport::DataSocket>> sockets_;  // null once removed
  std::set<RequestId> received_;  // requests whose `received` was reported already
  // The last nack message per held request (it names the stage, operator and worker that
  // failed): a frame given up on reports it. Bounded by the frames held; error path only.
  std::map<RequestId, std::string> last_nack_;
  size_t poll_base_ = 0;
  int64_t next_heartbeat_ns_ = 0;
  int64_t next_hello_ns_ = 0;
  int64_t hello_backoff_ns_ = kFirstHelloRetryNs;
  size_t pending_ = 0;
  int64_t unrouted_since_ns_ = -1;  // when setEndpoints left no replica; -1 = some are routed
  HopStats stats_;
};

}  // namespace spikeline::workers
