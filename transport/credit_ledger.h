// CreditLedger: a sender's view of the credit each next-hop replica granted it, its liveness,
// and the load-aware choice of replica (most free credit). Pure: no sockets, no threads; time
// from a borrowed Clock. Owned by the one thread that owns the sender's sockets; not thread-safe.
// Protocol: docs/decisions/0002-flow-control-and-custody.md section 1.
#pragma once

#include <cstdint>
#include <map>

#include "core/clock.h"
#include "core/result.h"
#include "core/status.h"
#include "transport/hop_liveness.h"
#include "transport/replica_id.h"

namespace spikeline::transport {

struct LedgerOptions {
  // A replica not heard from (grant or ack) for this long is marked down. Default: 3 x 100 ms.
  int64_t liveness_timeout_ns = 300'000'000;
  // A replica holding frames of ours, quiet this long, is probed. Default: 10 ms (0009)
  int64_t probe_interval_ns = 10'000'000;
  // A replica holding frames of ours that answered no probe for this long is marked down.
  // <= 0: off. Default: 40 ms (docs/decisions/0009-fast-custody.md)
  int64_t busy_liveness_timeout_ns = 40'000'000;
};

// The outcome of one liveness sweep (CreditLedger::sweepLiveness).
struct LivenessSweep {
  ReplicaList probe;  // send each a heartbeat now (already recorded as probed)
  ReplicaList down;   // marked down now: re-send their frames elsewhere
  friend bool operator==(const LivenessSweep&, const LivenessSweep&) = default;
};

// One replica's account, as seen by the sender.
struct ReplicaCredit {
  uint64_t incarnation = 0;    // of the receiver process that granted; 0 = never heard
  uint64_t granted_total = 0;  // cumulative frames the receiver allows
  uint64_t sent_total = 0;     // cumulative frames sent to this incarnation
  uint32_t in_flight = 0;      // sent and not yet released (handed-on / nack / superseded)
  bool up = false;             // false until the first grant, and after markDown/silence
  int64_t last_heard_ns = 0;
  int64_t first_unanswered_probe_ns = -1;  // first probe since last heard; -1: none
  int64_t last_probe_ns = -1;              // latest probe sent; -1: never
  uint64_t freeCredit() const {
    return granted_total > sent_total ? granted_total - sent_total : 0;
  }
  friend bool operator==(const ReplicaCredit&, const ReplicaCredit&) = default;
};

class CreditLedger {
 public:
  // `clock` is borrowed and must outlive the ledger.
  explicit CreditLedger(const Clock& clock, LedgerOptions options = {});

  // Adds a replica with no credit (down until its first grant). kAlreadyExists if known.
  Status addReplica(ReplicaId replica);
  // Forgets a replica (removed from routes). kNotFound if unknown.
  Status removeReplica(ReplicaId replica);

  // A grant {incarnation, granted_total} arrived. A new incarnation resets the account
  // (sent_total = 0, in_flight = 0); the same one keeps the max total. Marks the replica up and
  // heard. kNotFound for an unknown replica; kInvalidArgument for incarnation 0.
  Status onGrant(ReplicaId replica, uint64_t incarnation, uint64_t granted_total);
  // Any other message (ack) from the replica: proof of life only. Unknown replicas are ignored.
  void onHeard(ReplicaId replica);

  // Load-aware choice: the up replica with the most free credit among those outside `avoid`
  // (the replicas a frame already tried); replicas in `avoid` are considered only when no other
  // is up. Ties rotate round-robin. kOverloaded when the considered replicas are up but none has
  // credit (wait for a grant); kUnavailable when no replica is up. Does not consume credit:
  // call onSent once the frame is handed to the socket.
  Result<ReplicaId> pickReplica(const ReplicaList& avoid = {});

  // One frame was sent to `replica`: consumes one credit. kOverloaded if it had none (the frame
  // must not be sent), kUnavailable if it is down, kNotFound if unknown.
  Status onSent(ReplicaId replica);
  // One frame sent to `replica` left its care (handed-on, nack, superseded). Saturates at 0.
  void onReleased(ReplicaId replica);

  // Marks a replica down (nack unavailable, EHOSTUNREACH, received timeout). Its next grant
  // brings it back. Unknown replicas are ignored.
  void markDown(ReplicaId replica);
  // Marks down every up replica silent for longer than the liveness timeout; returns them.
  ReplicaList expireSilent();
  // judgeLiveness (hop_liveness.h) over every up replica; `busy` names those holding frames of
  // ours (CustodyTable::busyReplicas). Idle replicas get the liveness timeout; busy ones are
  // probed when quiet and marked down when a probe goes unanswered for the busy timeout, unless
  // no other replica is up (then re-sending cannot help, only burn the frames' attempts).
  LivenessSweep sweepLiveness(const ReplicaList& busy);

  // nullptr if unknown.
  const ReplicaCredit* find(ReplicaId replica) const;
  // Sum of free credit over up replicas.
  uint64_t totalFreeCredit() const;

 private:
  void heard(ReplicaCredit& r) const;  // any message from r: proof of life, answers its probes
  const Clock& clock_;
  LedgerOptions options_;
  std::map<ReplicaId, ReplicaCredit> replicas_;  // ordered: deterministic iteration
  ReplicaId rr_cursor_ = ~ReplicaId{0};          // last pick; ties go to the first id after it
};

}  // namespace spikeline::transport
