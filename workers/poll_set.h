// PollSet: one wait over many ZeroMQ sockets (DataSockets, inproc PAIRs) and plain file
// descriptors (an eventfd), for the one I/O thread that owns them all. A resource-free value:
// it borrows the sockets for the duration of wait(). Not thread-safe (one owner thread).
#pragma once

#include <cstddef>
#include <vector>

#include "core/result.h"

namespace spikeline::workers {

class PollSet {
 public:
  void clear();
  // Returns the item's index. `zmq_socket` is a libzmq socket handle (nativeHandle()).
  size_t addSocket(void* zmq_socket);
  size_t addFd(int fd);
  // Waits up to timeout_ms (0 = poll) for readability. kInternal on a zmq_poll failure other
  // than EINTR (which counts as a timeout).
  Status wait(int timeout_ms);
  bool readable(size_t index) const { return index < ready_.size() && ready_[index]; }
  size_t size() const { return sockets_.size(); }

 private:
  std::vector<void*> sockets_;
  std::vector<int> fds_;
  std::vector<bool> ready_;
};

}  // namespace spikeline::workers
