// ReplyGroup: the last stage's side of the clients: one DEALER per client reply address
// (LRU-bounded), results held in custody until the client answers `received` (decision 0003
// §4), re-sent to the same client on timeout, and error replies (no custody: the client's
// backstop covers a lost one). Owns its sockets and held results; borrows context and clock.
// Used only by the I/O thread that made it. Never throws.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "metrics/hot_counters.h"
#include "transport/custody_table.h"
#include "transport/data_socket.h"
#include "wire/control.h"
#include "workers/hop_event.h"
#include "workers/poll_set.h"

namespace spikeline::workers {

struct ReplyOptions {
  std::string routing_id;  // how clients name this worker
  transport::CustodyOptions custody;
  size_t max_clients = 64;  // client connections kept; the least recently used is closed
  int64_t error_retry_ns = 2'000'000'000;  // how long an unsendable error reply is retried
  size_t max_pending_errors = 4096;        // beyond: the oldest is dropped
  // Counts results and error replies dropped for an unusable reply_to (each such address is
  // also logged once). Null: not counted.
  metrics::Counter* unusable_reply_to = nullptr;
  // CURVE client keys for the connections to clients (decision 0010); empty = plaintext. Each
  // client's server key is the frame's reply_key.
  transport::CurveKeyPair curve_self;
};

class ReplyGroup {
 public:
  ReplyGroup(transport::TransportContext& context, const Clock& clock, ReplyOptions options);

  // Takes custody of an encoded result for `reply_to`; sent by the next tick().
  // kAlreadyExists when held already; kInvalidArgument for an empty reply_to (or, with CURVE,
  // one without a valid key).
  Status hold(RequestId request_id, const transport::PeerAddress& reply_to, transport::Bytes frame,
              int64_t deadline_ns);
  // Sends an error reply (no custody; retried by tick() for up to error_retry_ns while the
  // connection comes up, then dropped: the client's backstop covers it).
  Status sendError(const transport::PeerAddress& reply_to, const wire::ErrorReply& error);

  void addToPoll(PollSet& poll);
  void onPolled(const PollSet& poll, std::vector<HopEvent>& events);
  void tick(std::vector<HopEvent>& events);

  size_t held() const { return custody_.size(); }
  bool hasPending() const { return pending_ > 0 || !errors_.empty(); }

 private:
  struct Client {
    transport::PeerAddress endpoint;
    std::unique_ptr<transport::DataSocket> socket;
    int64_t last_used_ns = 0;
  };
  Result<transport::ReplicaId> clientFor(const transport::PeerAddress& endpoint);
  // clientFor, after checking the address; an unusable one is counted and logged (unusable()).
  Result<transport::ReplicaId> usableClient(const transport::PeerAddress& reply_to);
  void evictOldest();
  void drain(transport::ReplicaId id, std::vector<HopEvent>& events);
  void retryErrors();
  // Counts a reply dropped for `reply_to`, logging the address the first time (at most 1024
  // addresses are remembered; later ones are counted, not logged).
  void unusable(const std::string& reply_to, const std::string& why);

  struct PendingError {
    transport::ReplicaId client = 0;
    transport::Multipart parts;
    int64_t give_up_ns = 0;
  };

  transport::TransportContext& context_;
  const Clock& clock_;
  ReplyOptions options_;
  transport::CustodyTable custody_;
  std::map<transport::ReplicaId, Client> clients_;
  std::map<transport::PeerAddress, transport::ReplicaId> by_endpoint_;
  std::map<RequestId, transport::ReplicaId> destination_;
  std::vector<PendingError> errors_;  // error replies waiting for their connection
  std::set<std::string> logged_unusable_;
  std::set<transport::ReplicaId> answered_;  // clients that acknowledged a result at least once
  std::vector<transport::ReplicaId> polled_;  // client ids in poll order from poll_base_
  size_t poll_base_ = 0;
  transport::ReplicaId next_id_ = 0;
  size_t pending_ = 0;
};

}  // namespace spikeline::workers
