// EndpointChecker: the socket side of the broker's endpoint check (issue 14): for each worker to
// check it connects a DEALER to the advertised data endpoint (a CURVE client of the worker's
// key when the broker has CURVE keys), sends the data plane's hello, and reports ok at the first
// answer (the worker's credit grant) or an error after the timeout. Owns its context and
// sockets; used only by the broker loop's thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker/broker_service.h"
#include "core/clock.h"
#include "transport/curve.h"
#include "transport/data_socket.h"

namespace spikeline::broker {

class EndpointChecker {
 public:
  // `self`: the broker's key pair (empty: plaintext). `timeout_ns`: how long a hello may go
  // unanswered. Default: 1 s.
  EndpointChecker(const Clock& clock, transport::CurveKeyPair self,
                  int64_t timeout_ns = 1'000'000'000);
  ~EndpointChecker();
  // Starts checking `check`, replacing a check in progress for the same worker.
  void start(const EndpointCheck& check);
  // Sends hellos that could not leave yet, reads answers, expires the overdue; returns the
  // checks that ended. Never blocks.
  std::vector<EndpointCheckResult> poll();
  bool busy() const { return !checks_.empty(); }

 private:
  struct Pending {
    EndpointCheck check;
    std::unique_ptr<transport::DataSocket> socket;
    int64_t deadline_ns = 0;
    bool hello_sent = false;
  };
  const Clock& clock_;
  transport::CurveKeyPair self_;
  int64_t timeout_ns_;
  std::unique_ptr<transport::TransportContext> context_;  // null when it could not be made
  std::map<std::string, Pending> checks_;                 // by worker name
};

}  // namespace spikeline::broker
