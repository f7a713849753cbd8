// DedupWindow: the client's memory of the last `capacity` delivered request ids, so a late
// duplicate result is dropped instead of delivered twice. Bounded memory (ring + hash set).
// A value type; not thread-safe (owned by the client's receive thread).
#pragma once

#include <cstddef>
#include <unordered_set>
#include <vector>

#include "core/ids.h"

namespace spikeline::transport {

enum class DedupVerdict : uint8_t {
  kFirst = 0,      // deliver it; the id is now remembered
  kDuplicate = 1,  // already delivered within the window; drop it
};

class DedupWindow {
 public:
  // REQUIRES: capacity > 0. Default: 65536 ids.
  explicit DedupWindow(size_t capacity = 65536);

  // Records `request_id` as delivered unless it is in the window. When full, the oldest id is
  // forgotten (a duplicate of it arriving later would be taken as first: size the window to
  // exceed the results delivered within one request deadline).
  DedupVerdict offer(RequestId request_id);
  // Whether `request_id` is in the window; does not record it.
  bool contains(RequestId request_id) const { return seen_.count(request_id) != 0; }

  size_t size() const { return seen_.size(); }
  size_t capacity() const { return ring_.size(); }

 private:
  std::vector<RequestId> ring_;  // insertion order; ring_[next_] is the oldest once full
  std::unordered_set<RequestId> seen_;
  size_t next_ = 0;
};

}  // namespace spikeline::transport
