#include "transport/credit_ledger.h"

#include <algorithm>
#include <string>

namespace spikeline::transport {
namespace {

std::string name(ReplicaId replica) { return "replica " + std::to_string(replica); }

bool contains(const ReplicaList& list, ReplicaId replica) {
  return std::find(list.begin(), list.end(), replica) != list.end();
}

}  // namespace

CreditLedger::CreditLedger(const Clock& clock, LedgerOptions options)
    : clock_(clock), options_(options) {}

Status CreditLedger::addReplica(ReplicaId replica) {
  if (!replicas_.emplace(replica, ReplicaCredit{}).second) {
    return alreadyExists(name(replica) + " already in the ledger");
  }
  return Status::ok();
}

Status CreditLedger::removeReplica(ReplicaId replica) {
  if (replicas_.erase(replica) == 0) return notFound(name(replica) + " not in the ledger");
  return Status::ok();
}

Status CreditLedger::onGrant(ReplicaId replica, uint64_t incarnation, uint64_t granted_total) {
  auto it = replicas_.find(replica);
  if (it == replicas_.end()) return notFound(name(replica) + " not in the ledger");
  if (incarnation == 0) return invalidArgument("grant with incarnation 0");
  ReplicaCredit& r = it->second;
  if (r.incarnation != incarnation) {
    r.incarnation = incarnation;
    r.granted_total = granted_total;
    r.sent_total = 0;
    r.in_flight = 0;
  } else {
    r.granted_total = std::max(r.granted_total, granted_total);
  }
  r.up = true;
  heard(r);
  return Status::ok();
}

void CreditLedger::onHeard(ReplicaId replica) {
  auto it = replicas_.find(replica);
  if (it != replicas_.end()) heard(it->second);
}

void CreditLedger::heard(ReplicaCredit& r) const {
  const PeerSilence peer = onHeardFrom(
      PeerSilence{r.last_heard_ns, r.first_unanswered_probe_ns, r.last_probe_ns, false},
      clock_.monotonicNs());
  r.last_heard_ns = peer.last_heard_ns;
  r.first_unanswered_probe_ns = peer.first_unanswered_probe_ns;
}

Result<ReplicaId> CreditLedger::pickReplica(const ReplicaList& avoid) {
  // Replicas outside `avoid` are considered first; `avoid` only when none of those is up.
  for (const bool avoided_pass : {false, true}) {
    const ReplicaCredit* best = nullptr;
    ReplicaId best_id = 0;
    bool any_up = false;
    for (const auto& [id, r] : replicas_) {
      if (!r.up || contains(avoid, id) != avoided_pass) continue;
      any_up = true;
      if (r.freeCredit() == 0) continue;
      // Most free credit; ties go to the first id after the round-robin cursor (wrap-around).
      const bool better = best == nullptr || r.freeCredit() > best->freeCredit() ||
                          (r.freeCredit() == best->freeCredit() &&
                           static_cast<ReplicaId>(id - rr_cursor_ - 1) <
                               static_cast<ReplicaId>(best_id - rr_cursor_ - 1));
      if (better) {
        best = &r;
        best_id = id;
      }
    }
    if (best != nullptr) {
      rr_cursor_ = best_id;
      return best_id;
    }
    if (any_up) return overloaded("no replica has credit");
  }
  return unavailable("no healthy replica");
}

Status CreditLedger::onSent(ReplicaId replica) {
  auto it = replicas_.find(replica);
  if (it == replicas_.end()) return notFound(name(replica) + " not in the ledger");
  ReplicaCredit& r = it->second;
  if (!r.up) return unavailable(name(replica) + " is down");
  if (r.freeCredit() == 0) return overloaded(name(replica) + " has no credit");
  ++r.sent_total;
  ++r.in_flight;
  return Status::ok();
}

void CreditLedger::onReleased(ReplicaId replica) {
  auto it = replicas_.find(replica);
  if (it != replicas_.end() && it->second.in_flight > 0) --it->second.in_flight;
}

void CreditLedger::markDown(ReplicaId replica) {
  auto it = replicas_.find(replica);
  if (it != replicas_.end()) it->second.up = false;
}

ReplicaList CreditLedger::expireSilent() { return sweepLiveness({}).down; }

LivenessSweep CreditLedger::sweepLiveness(const ReplicaList& busy) {
  LivenessSweep sweep;
  const int64_t now = clock_.monotonicNs();
  const LivenessPolicy policy{options_.liveness_timeout_ns, options_.probe_interval_ns,
                              options_.busy_liveness_timeout_ns};
  // With one live replica there is nowhere else to re-send: the busy rule would only burn the
  // frames' attempts at a replica that is slow (a single-replica stage keeps the idle rule).
  size_t up = 0;
  for (const auto& [id, r] : replicas_) up += r.up ? 1 : 0;
  for (auto& [id, r] : replicas_) {
    if (!r.up) continue;
    PeerSilence peer{r.last_heard_ns, r.first_unanswered_probe_ns, r.last_probe_ns,
                     up > 1 && contains(busy, id)};
    switch (judgeLiveness(policy, peer, now)) {
      case LivenessVerdict::kAlive:
        break;
      case LivenessVerdict::kProbe:
        peer = onProbed(peer, now);
        r.first_unanswered_probe_ns = peer.first_unanswered_probe_ns;
        r.last_probe_ns = peer.last_probe_ns;
        sweep.probe.push_back(id);
        break;
      case LivenessVerdict::kDown:
        r.up = false;
        sweep.down.push_back(id);
        break;
    }
  }
  return sweep;
}

const ReplicaCredit* CreditLedger::find(ReplicaId replica) const {
  auto it = replicas_.find(replica);
  return it == replicas_.end() ? nullptr : &it->second;
}

uint64_t CreditLedger::totalFreeCredit() const {
  uint64_t total = 0;
  for (const auto& [id, r] : replicas_) {
    if (r.up) total += r.freeCredit();
  }
  return total;
}

}  // namespace spikeline::transport
