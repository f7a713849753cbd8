#include "workers/poll_set.h"

#include <zmq.h>

#include <cerrno>
#include <string>

namespace spikeline::workers {

void PollSet::clear() {
  sockets_.clear();
  fds_.clear();
  ready_.clear();
}

size_t PollSet::addSocket(void* zmq_socket) {
  sockets_.push_back(zmq_socket);
  fds_.push_back(-1);
  return sockets_.size() - 1;
}

size_t PollSet::addFd(int fd) {
  sockets_.push_back(nullptr);
  fds_.push_back(fd);
  return sockets_.size() - 1;
}

Status PollSet::wait(int timeout_ms) {
  std::vector<zmq_pollitem_t> items(sockets_.size());
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].socket = sockets_[i];
    items[i].fd = fds_[i];
    items[i].events = ZMQ_POLLIN;
    items[i].revents = 0;
  }
  ready_.assign(items.size(), false);
  const int rc = zmq_poll(items.data(), static_cast<int>(items.size()), timeout_ms);
  if (rc < 0) {
    if (zmq_errno() == EINTR) return Status::ok();
    return internalError(std::string("zmq_poll: ") + zmq_strerror(zmq_errno()));
  }
  for (size_t i = 0; i < items.size(); ++i) ready_[i] = (items[i].revents & ZMQ_POLLIN) != 0;
  return Status::ok();
}

}  // namespace spikeline::workers
