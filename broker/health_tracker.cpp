#include "broker/health_tracker.h"

#include <algorithm>

namespace spikeline::broker {

HealthTracker::HealthTracker(const Clock& clock, HealthOptions options)
    : clock_(clock), options_(options) {}

void HealthTracker::markRegistered(const WorkerId& worker) {
  entries_[worker.name] = Entry{clock_.monotonicNs(), 0, false, false, false, ""};
}

void HealthTracker::forget(const WorkerId& worker) { entries_.erase(worker.name); }

Status HealthTracker::observeHeartbeat(const WorkerId& worker, uint64_t seq) {
  auto it = entries_.find(worker.name);
  if (it == entries_.end()) {
    return notFound("unknown worker '" + worker.name + "': register first");
  }
  Entry& e = it->second;
  if (e.seen_any && seq <= e.last_seq) {
    return invalidArgument("stale heartbeat from '" + worker.name + "': seq " +
                           std::to_string(seq) + " <= " + std::to_string(e.last_seq));
  }
  e.seen_any = true;
  e.last_seq = seq;
  e.last_seen_ns = clock_.monotonicNs();
  if (e.down && !e.faulted) {
    e.down = false;
    e.reason.clear();
  }
  return Status::ok();
}

Status HealthTracker::reportFault(const WorkerId& worker, const std::string& detail) {
  auto it = entries_.find(worker.name);
  if (it == entries_.end()) {
    return notFound("fault report from unknown worker '" + worker.name + "'");
  }
  it->second.down = true;
  it->second.faulted = true;
  it->second.reason = "hardware fault: " + detail;
  return Status::ok();
}

void HealthTracker::restoreDown(const WorkerId& worker, const std::string& reason, bool faulted) {
  Entry& e = entries_[worker.name];
  e.down = true;
  e.faulted = faulted;
  e.reason = reason;
}

int64_t HealthTracker::deadlineNs(const Entry& e) const {
  return e.last_seen_ns + options_.heartbeat_interval_ns * options_.liveness;
}

std::vector<BrokerEvent> HealthTracker::sweep() {
  std::vector<BrokerEvent> out;
  const int64_t now = clock_.monotonicNs();
  for (auto& [name, e] : entries_) {
    if (e.down || now < deadlineNs(e)) continue;
    e.down = true;
    e.reason = "missed " + std::to_string(options_.liveness) + " heartbeats (" +
               std::to_string((now - e.last_seen_ns) / 1'000'000) + " ms silent)";
    out.push_back({"worker_down", name, e.reason});
  }
  return out;
}

HealthSnapshot HealthTracker::snapshot() const {
  HealthSnapshot s;
  for (const auto& [name, e] : entries_) {
    if (e.down) s.down[name] = e.reason;
  }
  return s;
}

int64_t HealthTracker::nsUntilNextDeadline() const {
  int64_t best = -1;
  const int64_t now = clock_.monotonicNs();
  for (const auto& [name, e] : entries_) {
    if (e.down) continue;
    int64_t left = std::max<int64_t>(0, deadlineNs(e) - now);
    if (best < 0 || left < best) best = left;
  }
  return best;
}

}  // namespace spikeline::broker
