// Client: the data-plane client library (decision 0003 §6): the first sender and last receiver
// of every request. Binds its own ROUTER for results (its reply-to), one DEALER per first-stage
// replica, sends only against credit (no credit: kOverloaded at once, never a queue), answers
// `received` to the last stage, re-sends overdue requests (backstop) and drops duplicate results.
// Every accepted request gets exactly one outcome. Owns its I/O thread and sockets.
// Thread safety: submit() and stats() are safe from any thread; callbacks run on the client's
// I/O thread (or inline in submit() for an immediate rejection) and must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/tensor.h"
#include "core/topology.h"
#include "transport/curve.h"
#include "transport/custody_table.h"
#include "transport/overdue_tracker.h"
#include "wire/frame.h"
#include "workers/route_source.h"

namespace spikeline::client {

struct InferenceResult {
  RequestId request_id = 0;
  Tensor output;                       // the last stage's output (readout: [T=1, classes])
  std::vector<wire::HopTrace> trace;   // one entry per stage, in order
};

// Ok with a result, or one explicit error: kOverloaded, kDeadlineExceeded, kUnavailable,
// kInvalidArgument.
using ResultCallback = std::function<void(RequestId, Result<InferenceResult>)>;

struct ClientOptions {
  std::string name = "client";           // routing ids derive from it
  std::string bind = "tcp://127.0.0.1:*";  // reply-to ROUTER; "tcp://0.0.0.0:*" for other hosts
  // The reply-to put in every frame (reply_endpoint.h): "" = the bound endpoint; else
  // "tcp://HOST:PORT", or "tcp://HOST:*" for the port the bind got. Needed when `bind` is a
  // wildcard or an address the last stage's workers cannot reach (containers, NAT).
  std::string advertise;
  transport::CustodyOptions custody;     // towards the first stage
  transport::OverdueOptions overdue;     // backstop: resend_after, max_attempts, max_outstanding
  size_t dedup_capacity = 65536;
  int64_t heartbeat_interval_ns = 100'000'000;
  int64_t liveness_timeout_ns = 300'000'000;
  // Towards the next hop: a replica holding our frames is probed after this much quiet and
  // dropped when a probe goes unanswered for busy_liveness_timeout_ns (decision 0009).
  int64_t probe_interval_ns = 10'000'000;
  int64_t busy_liveness_timeout_ns = 40'000'000;
  // CURVE (docs/decisions/0010): the reply ROUTER is a CURVE server admitting `authorized`
  // workers, frames carry our public key as their reply_key, the DEALERs to the first stage are
  // CURVE clients. Disabled: plaintext.
  transport::CurveIdentity curve;
};

struct ClientStats {
  uint64_t submitted = 0;    // accepted requests
  uint64_t rejected = 0;     // answered kOverloaded/kInvalidArgument at submit
  uint64_t results = 0;      // ok outcomes delivered
  uint64_t errors = 0;       // error outcomes delivered (after acceptance)
  uint64_t duplicates = 0;   // duplicate results dropped
  uint64_t late = 0;         // results for requests already answered (e.g. after a deadline)
  uint64_t backstop_resends = 0;
};

class Client {
 public:
  // `topology` names the model and its first stage; `routes` the first stage's replicas.
  // Binds the reply ROUTER and starts the I/O thread. Errors: socket setup, no first stage.
  static Result<std::unique_ptr<Client>> make(const Topology& topology,
                                              const workers::PipelineRoute& routes,
                                              ClientOptions options = {});
  virtual ~Client() = default;

  // Starts a request; returns its id at once. `deadline_ns` is wall clock (ns since the Unix
  // epoch). The callback gets exactly one outcome.
  virtual RequestId submit(const ModelRef& model, Tensor input, int64_t deadline_ns,
                           ResultCallback callback) = 0;
  // As above; the outcome through a future.
  virtual std::future<Result<InferenceResult>> submit(const ModelRef& model, Tensor input,
                                                      int64_t deadline_ns) = 0;
  // Thread-safe: newer routes of this client's model (older or equal epochs are ignored): the
  // first stage's replica set becomes the route's (HopGroup::setEndpoints: new replicas are
  // connected, removed ones closed and their frames re-sent elsewhere).
  virtual void updateRoutes(const workers::PipelineRoute& route) = 0;
  // Waits until some first-stage replica granted credit. kDeadlineExceeded after timeout_ms.
  virtual Status waitReady(int timeout_ms) = 0;
  virtual ClientStats stats() const = 0;
  // The reply-to every frame carries (the advertised endpoint, or the bound one).
  virtual const std::string& replyEndpoint() const = 0;
};

// A deadline `timeout_ms` from now on the wall clock.
inline int64_t deadlineAfterMs(const Clock& clock, int64_t timeout_ms) {
  return clock.wallNs() + timeout_ms * 1'000'000;
}

}  // namespace spikeline::client
