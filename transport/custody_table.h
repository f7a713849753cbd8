// CustodyTable: the frames a sender holds until the next hop answers `handed-on`, with the
// custody state machine of each (attempts, timers, which replicas were tried). Pure: no
// sockets, no threads; time from a borrowed Clock. Owns the held payload bytes. Owned by the
// thread that owns the sender's sockets; not thread-safe.
// State machine: docs/decisions/0002-flow-control-and-custody.md section 2.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <vector>

#include "core/clock.h"
#include "core/ids.h"
#include "core/result.h"
#include "core/status.h"
#include "transport/bytes.h"
#include "transport/replica_id.h"

namespace spikeline::transport {

struct CustodyOptions {
  // Wait for `received` after the first send; doubled after each further send (50, 100, 200,
  // 400, 800 ms...), so a replica that is only slow (a loaded machine) is not flooded with
  // duplicates and a frame is not given up on while its replicas are alive. Default: 50 ms
  int64_t received_timeout_ns = 50'000'000;
  int64_t handed_on_timeout_ns = 2'000'000'000;  // backstop; replica death is faster. Default: 2 s
  uint32_t max_attempts = 5;                     // sends per frame at this hop. Default: 5
};

enum class CustodyState : uint8_t {
  kPending = 0,           // held, to be sent (first time, or again)
  kAwaitingReceived = 1,  // sent; `received` not yet in
  kAwaitingHandedOn = 2,  // `received` in; `handed-on` not yet
};

// What an ack did to the table.
enum class AckOutcome : uint8_t {
  kApplied = 0,  // changed the frame's state (or released it)
  kStale = 1,    // acked a superseded attempt; ignored
  kUnknown = 2,  // no such frame held (already released, or never held)
};

struct AckResult {
  AckOutcome outcome = AckOutcome::kUnknown;
  ReplicaId replica = 0;  // the replica the acked attempt went to (valid unless kUnknown)
  friend bool operator==(const AckResult&, const AckResult&) = default;
};

// One thing the sender must do now.
struct CustodyAction {
  enum class Kind : uint8_t { kSend = 0, kFail = 1 };
  Kind kind = Kind::kSend;
  RequestId request_id = 0;
  ReplicaList avoid;  // kSend: replicas already tried, in attempt order (pass to pickReplica)
  Status error;       // kFail: the explicit error for the client; the frame is dropped
};

// Read-only view of one held frame.
struct CustodyEntry {
  CustodyState state = CustodyState::kPending;
  uint32_t attempt = 0;     // attempts sent so far; the current one when state != kPending
  ReplicaList tried;        // tried[i] = replica of attempt i + 1
  int64_t deadline_ns = 0;  // monotonic
  int64_t timer_ns = 0;     // when the current wait expires (state != kPending)
  bool due = false;         // re-send requested by a nack or a replica failure
  Status failure;           // set by a permanent nack; reported by expired()
  Bytes payload;
};

class CustodyTable {
 public:
  static constexpr int64_t kNoDeadline = std::numeric_limits<int64_t>::max();

  // `clock` is borrowed and must outlive the table.
  explicit CustodyTable(const Clock& clock, CustodyOptions options = {});

  // Takes custody of a frame (state kPending). kAlreadyExists if the request id is held
  // already (a client backstop duplicate). `deadline_ns` is monotonic.
  Status hold(RequestId request_id, Bytes payload, int64_t deadline_ns = kNoDeadline);
  // The frame was handed to the socket for `replica`. Returns the attempt number to stamp on it.
  // kNotFound if not held; kUnavailable once max_attempts sends were made.
  Result<uint32_t> onSent(RequestId request_id, ReplicaId replica);

  // `received` for (request, attempt): the current attempt moves to kAwaitingHandedOn.
  AckResult onReceived(RequestId request_id, uint32_t attempt);
  // `handed-on` for (request, any attempt): custody ends, the frame is released.
  AckResult onHandedOn(RequestId request_id, uint32_t attempt);
  // `nack(code)` for the current attempt. kUnavailable, kOverloaded, kUnimplemented and
  // kResourceExhausted make the frame due for re-send to another replica; any other code fails
  // it (reported by expired()).
  AckResult onNack(RequestId request_id, uint32_t attempt, StatusCode code);
  // The replica is gone (heartbeat failure, EHOSTUNREACH): its frames become due now.
  // Returns how many.
  size_t onReplicaDown(ReplicaId replica);
  // The replicas holding some frame now (sent, not yet handed on, not due for re-send): the
  // ones whose silence costs latency (CreditLedger::sweepLiveness). Sorted, no repeats.
  ReplicaList busyReplicas() const;

  // Fails every held frame with `why` (reported, and removed, by the next expired()): the next
  // stage has no replica at all. Returns how many.
  size_t failAll(const Status& why);

  // Every frame needing action now: kSend for pending, due or timed-out frames (their state
  // becomes kPending until onSent), kFail for frames out of attempts, past their deadline or
  // nacked permanently (those are removed). Deterministic order: by request id.
  std::vector<CustodyAction> expired();

  // nullptr if not held.
  const CustodyEntry* find(RequestId request_id) const;
  size_t size() const { return entries_.size(); }

 private:
  Result<CustodyEntry*> current(RequestId request_id, uint32_t attempt, AckResult& result);

  const Clock& clock_;
  CustodyOptions options_;
  std::map<RequestId, CustodyEntry> entries_;
};

}  // namespace spikeline::transport
