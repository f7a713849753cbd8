// HealthTracker: decides when a worker is down — `liveness` heartbeat intervals without a
// heartbeat, or at once on a hardware-fault report — using an injected Clock.
// Owns its bookkeeping; borrows the Clock. Thread safety: none; one thread (the broker loop).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "broker/state.h"
#include "core/clock.h"
#include "core/status.h"

namespace spikeline::broker {

struct HealthOptions {
  int64_t heartbeat_interval_ns = 200'000'000;  // Default: 200 ms
  uint32_t liveness = 3;                        // missed intervals before down. Default: 3
};

class HealthTracker {
 public:
  HealthTracker(const Clock& clock, HealthOptions options);

  // A worker (re)registered: up, last seen now, sequence reset.
  void markRegistered(const WorkerId& worker);
  // Forget a worker entirely (deregistered).
  void forget(const WorkerId& worker);
  // kNotFound for a worker never registered (it must register first); kInvalidArgument for a
  // sequence number not above the last one seen (stale or replayed; ignored). A heartbeat of a
  // worker that was marked down for missing beats brings it back up; one marked down by a
  // fault stays down until it registers again.
  Status observeHeartbeat(const WorkerId& worker, uint64_t seq);
  // Marks the worker down at once. kNotFound for an unknown worker.
  Status reportFault(const WorkerId& worker, const std::string& detail);
  // After a broker restart: the worker was down (by a fault when `faulted`) for `reason`.
  void restoreDown(const WorkerId& worker, const std::string& reason, bool faulted);
  // Workers that just went down for missing heartbeats (each reported once), with reasons.
  std::vector<BrokerEvent> sweep();
  // Workers currently down.
  HealthSnapshot snapshot() const;
  bool knows(const WorkerId& worker) const { return entries_.count(worker.name) > 0; }
  // Nanoseconds until the next worker could go down (the broker's poll timeout); -1 if none.
  int64_t nsUntilNextDeadline() const;

 private:
  struct Entry {
    int64_t last_seen_ns = 0;
    uint64_t last_seq = 0;
    bool seen_any = false;
    bool down = false;
    bool faulted = false;
    std::string reason;
  };
  int64_t deadlineNs(const Entry& e) const;

  const Clock& clock_;
  HealthOptions options_;
  std::map<std::string, Entry> entries_;
};

}  // namespace spikeline::broker
