// OverdueTracker: the client's backstop. It tracks each accepted request until exactly one
// outcome (result or explicit error) is delivered, re-sends overdue requests from the first
// stage, and fails them at their deadline or after max attempts. Pure: time from a borrowed
// Clock. Owned by the client's thread; not thread-safe. See docs/decisions/0002, section 3.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <vector>

#include "core/clock.h"
#include "core/ids.h"
#include "core/status.h"

namespace spikeline::transport {

struct OverdueOptions {
  int64_t resend_after_ns = 1'000'000'000;  // no outcome this long after a send. Default: 1 s
  uint32_t max_attempts = 3;                // client sends per request, the first included
  size_t max_outstanding = 4096;            // bound on tracked requests
};

struct OverdueAction {
  enum class Kind : uint8_t { kResend = 0, kFail = 1 };
  Kind kind = Kind::kResend;
  RequestId request_id = 0;
  uint32_t attempt = 0;  // kResend: the attempt number to stamp (2, 3, ...)
  Status error;          // kFail: deliver this error; the request is no longer tracked
};

class OverdueTracker {
 public:
  static constexpr int64_t kNoDeadline = std::numeric_limits<int64_t>::max();

  // `clock` is borrowed and must outlive the tracker.
  explicit OverdueTracker(const Clock& clock, OverdueOptions options = {});

  // A request was accepted and sent (attempt 1). kAlreadyExists if tracked; kOverloaded when
  // max_outstanding requests are tracked (reply "overloaded" to the caller). Deadline monotonic.
  Status track(RequestId request_id, int64_t deadline_ns = kNoDeadline);
  // An outcome arrived. True when it is the first (deliver it; the request is untracked);
  // false when the request is not tracked (a duplicate or stale outcome: drop it).
  bool complete(RequestId request_id);

  // Requests needing action now: kResend for overdue ones with attempts left (their send time
  // is reset), kFail for those past their deadline or out of attempts (untracked). By id.
  std::vector<OverdueAction> overdue();

  bool isTracked(RequestId request_id) const { return requests_.count(request_id) != 0; }
  size_t size() const { return requests_.size(); }

 private:
  struct Tracked {
    int64_t deadline_ns = 0;
    int64_t last_sent_ns = 0;
    uint32_t attempts = 1;
  };
  const Clock& clock_;
  OverdueOptions options_;
  std::map<RequestId, Tracked> requests_;
};

}  // namespace spikeline::transport
