#include "transport/overdue_tracker.h"

#include <string>

namespace spikeline::transport {

OverdueTracker::OverdueTracker(const Clock& clock, OverdueOptions options)
    : clock_(clock), options_(options) {}

Status OverdueTracker::track(RequestId request_id, int64_t deadline_ns) {
  if (requests_.count(request_id) != 0) {
    return alreadyExists("request " + std::to_string(request_id) + " already tracked");
  }
  if (requests_.size() >= options_.max_outstanding) {
    return overloaded("client has " + std::to_string(requests_.size()) + " requests outstanding");
  }
  requests_.emplace(request_id, Tracked{deadline_ns, clock_.monotonicNs(), 1});
  return Status::ok();
}

bool OverdueTracker::complete(RequestId request_id) { return requests_.erase(request_id) != 0; }

std::vector<OverdueAction> OverdueTracker::overdue() {
  std::vector<OverdueAction> actions;
  const int64_t now = clock_.monotonicNs();
  for (auto it = requests_.begin(); it != requests_.end();) {
    Tracked& t = it->second;
    Status fail;
    if (now > t.deadline_ns) {
      fail = deadlineExceeded("request " + std::to_string(it->first) + " passed its deadline");
    } else if (now - t.last_sent_ns >= options_.resend_after_ns) {
      if (t.attempts >= options_.max_attempts) {
        fail = unavailable("request " + std::to_string(it->first) + ": no outcome after " +
                           std::to_string(t.attempts) + " attempts");
      } else {
        ++t.attempts;
        t.last_sent_ns = now;
        actions.push_back({OverdueAction::Kind::kResend, it->first, t.attempts, Status::ok()});
      }
    }
    if (!fail.isOk()) {
      actions.push_back({OverdueAction::Kind::kFail, it->first, t.attempts, fail});
      it = requests_.erase(it);
    } else {
      ++it;
    }
  }
  return actions;
}

}  // namespace spikeline::transport
