#include "transport/dedup_window.h"

#include <cassert>

namespace spikeline::transport {

DedupWindow::DedupWindow(size_t capacity) : ring_(capacity) {
  assert(capacity > 0);
  if (ring_.empty()) ring_.resize(1);
  seen_.reserve(ring_.size());
}

DedupVerdict DedupWindow::offer(RequestId request_id) {
  if (seen_.count(request_id) != 0) return DedupVerdict::kDuplicate;
  if (seen_.size() == ring_.size()) seen_.erase(ring_[next_]);
  ring_[next_] = request_id;
  next_ = (next_ + 1) % ring_.size();
  seen_.insert(request_id);
  return DedupVerdict::kFirst;
}

}  // namespace spikeline::transport
