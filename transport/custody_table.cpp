#include "transport/custody_table.h"

#include <algorithm>

#include <string>

namespace spikeline::transport {
namespace {

bool isRetryable(StatusCode code) {
  return code == StatusCode::kUnavailable || code == StatusCode::kOverloaded ||
         code == StatusCode::kUnimplemented || code == StatusCode::kResourceExhausted;
}

std::string requestName(RequestId id) { return "request " + std::to_string(id); }

}  // namespace

CustodyTable::CustodyTable(const Clock& clock, CustodyOptions options)
    : clock_(clock), options_(options) {}

Status CustodyTable::hold(RequestId request_id, Bytes payload, int64_t deadline_ns) {
  CustodyEntry entry;
  entry.deadline_ns = deadline_ns;
  entry.payload = std::move(payload);
  if (!entries_.emplace(request_id, std::move(entry)).second) {
    return alreadyExists(requestName(request_id) + " already in custody");
  }
  return Status::ok();
}

Result<uint32_t> CustodyTable::onSent(RequestId request_id, ReplicaId replica) {
  auto it = entries_.find(request_id);
  if (it == entries_.end()) return notFound(requestName(request_id) + " not in custody");
  CustodyEntry& e = it->second;
  if (e.attempt >= options_.max_attempts) {
    return unavailable(requestName(request_id) + ": out of attempts");
  }
  ++e.attempt;
  e.tried.push_back(replica);
  e.state = CustodyState::kAwaitingReceived;
  const uint32_t doublings = std::min<uint32_t>(e.attempt - 1, 16);
  e.timer_ns = clock_.monotonicNs() + (options_.received_timeout_ns << doublings);
  e.due = false;
  return e.attempt;
}

// Finds the entry and fills `result`; an error when the ack does not address the current attempt.
Result<CustodyEntry*> CustodyTable::current(RequestId request_id, uint32_t attempt,
                                            AckResult& result) {
  auto it = entries_.find(request_id);
  if (it == entries_.end() || attempt == 0 || attempt > it->second.attempt) {
    result = AckResult{AckOutcome::kUnknown, 0};
    return notFound(requestName(request_id) + " attempt not in custody");
  }
  CustodyEntry& e = it->second;
  result = AckResult{AckOutcome::kStale, e.tried[attempt - 1]};
  if (attempt != e.attempt || e.state == CustodyState::kPending) {
    return unavailable("superseded attempt");
  }
  result.outcome = AckOutcome::kApplied;
  return &e;
}

AckResult CustodyTable::onReceived(RequestId request_id, uint32_t attempt) {
  AckResult result;
  Result<CustodyEntry*> e = current(request_id, attempt, result);
  if (!e.isOk()) return result;
  if ((*e)->state == CustodyState::kAwaitingReceived) {
    (*e)->state = CustodyState::kAwaitingHandedOn;
    (*e)->timer_ns = clock_.monotonicNs() + options_.handed_on_timeout_ns;
  }
  return result;
}

AckResult CustodyTable::onHandedOn(RequestId request_id, uint32_t attempt) {
  auto it = entries_.find(request_id);
  if (it == entries_.end() || attempt == 0 || attempt > it->second.attempt) {
    return AckResult{AckOutcome::kUnknown, 0};
  }
  AckResult result{AckOutcome::kApplied, it->second.tried[attempt - 1]};
  entries_.erase(it);
  return result;
}

AckResult CustodyTable::onNack(RequestId request_id, uint32_t attempt, StatusCode code) {
  AckResult result;
  Result<CustodyEntry*> e = current(request_id, attempt, result);
  if (!e.isOk()) return result;
  if (isRetryable(code)) {
    (*e)->due = true;
  } else {
    (*e)->failure = Status(code == StatusCode::kOk ? StatusCode::kInternal : code,
                           requestName(request_id) + " rejected by the next hop");
  }
  return result;
}

size_t CustodyTable::onReplicaDown(ReplicaId replica) {
  size_t count = 0;
  for (auto& [id, e] : entries_) {
    if (e.state != CustodyState::kPending && e.tried.back() == replica) {
      e.due = true;
      ++count;
    }
  }
  return count;
}

ReplicaList CustodyTable::busyReplicas() const {
  ReplicaList busy;
  for (const auto& [id, e] : entries_) {
    if (e.state == CustodyState::kPending || e.due) continue;
    auto at = std::lower_bound(busy.begin(), busy.end(), e.tried.back());
    if (at == busy.end() || *at != e.tried.back()) busy.insert(at, e.tried.back());
  }
  return busy;
}

size_t CustodyTable::failAll(const Status& why) {
  for (auto& [id, e] : entries_) {
    if (e.failure.isOk()) e.failure = Status(why.code(), requestName(id) + ": " + why.message());
  }
  return entries_.size();
}

std::vector<CustodyAction> CustodyTable::expired() {
  std::vector<CustodyAction> actions;
  const int64_t now = clock_.monotonicNs();
  for (auto it = entries_.begin(); it != entries_.end();) {
    CustodyEntry& e = it->second;
    Status fail = e.failure;
    if (fail.isOk() && now > e.deadline_ns) {
      fail = deadlineExceeded(requestName(it->first) + " passed its deadline in custody");
    }
    const bool wants_send = e.state == CustodyState::kPending || e.due || now >= e.timer_ns;
    if (fail.isOk() && wants_send && e.attempt >= options_.max_attempts) {
      fail = unavailable("no healthy replica: " + requestName(it->first) + " failed " +
                         std::to_string(e.attempt) + " attempts");
    }
    if (!fail.isOk()) {
      actions.push_back({CustodyAction::Kind::kFail, it->first, {}, fail});
      it = entries_.erase(it);
      continue;
    }
    if (wants_send) {
      e.state = CustodyState::kPending;
      e.due = false;
      actions.push_back({CustodyAction::Kind::kSend, it->first, e.tried, Status::ok()});
    }
    ++it;
  }
  return actions;
}

const CustodyEntry* CustodyTable::find(RequestId request_id) const {
  auto it = entries_.find(request_id);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace spikeline::transport
