// DataSocket: one data-plane ZeroMQ socket — a bound ROUTER (receiver) or a DEALER connected to
// one peer (sender) — with the options of docs/decisions/0002 section 4, moving Multipart
// messages. A resource owned by unique_ptr; used only by the thread that created it (ZeroMQ
// sockets are not thread-safe). Never throws; every failure is a Status. No zmq.hpp here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/status.h"
#include "transport/bytes.h"
#include "transport/curve.h"

namespace spikeline::transport {

// Owns the libzmq context (its I/O threads). Must outlive every socket made from it.
// Thread-safe (libzmq contexts are).
class TransportContext {
 public:
  virtual ~TransportContext() = default;
  // The libzmq context, for this module's adapter only.
  virtual void* nativeHandle() = 0;
  // Starts (first call) or updates this context's ZAP handler (zap_handler.h): from then on the
  // CURVE server sockets of this context admit only clients holding one of `keys`' secrets.
  // Call before binding a CURVE receiver (libzmq admits any CURVE client when no handler runs).
  virtual Status authorizeCurveClients(AuthorizedKeys keys) = 0;
};

// REQUIRES: io_threads >= 1. Default: 1.
Result<std::unique_ptr<TransportContext>> makeTransportContext(int io_threads = 1);

enum class SocketRole : uint8_t {
  kReceiver = 0,  // ROUTER: binds; ROUTER_MANDATORY, ROUTER_HANDOVER
  kSender = 1,    // DEALER: connects to exactly one peer; IMMEDIATE
};

struct SocketOptions {
  std::string routing_id;  // sender: how receivers name it; empty = libzmq picks
  int send_hwm = 1000;     // safety net above any credit window (messages)
  int recv_hwm = 1000;
  int heartbeat_ivl_ms = 100;            // ZMTP PING interval; 0 = off
  int heartbeat_timeout_ms = 300;        // no traffic this long after a PING: connection dropped
  int heartbeat_ttl_ms = 300;            // asks the peer to drop us after this much silence
  int64_t max_message_bytes = 64 << 20;  // larger inbound messages drop the connection
  // CURVE (docs/decisions/0010); empty `curve_self` = plaintext. A receiver is a CURVE server
  // (its clients are checked by the context's ZapHandler); a sender is a client of the peer
  // whose public key is `curve_server_key`.
  CurveKeyPair curve_self;
  std::string curve_server_key;
  // Sender: a dropped connection is retried after 10 ms, backing off to 100 ms (libzmq's
  // default is a flat 100 ms). A worker resumed after a pause finds its connections dropped by
  // its peers' heartbeats; waiting 100 ms to reconnect stalled the frames it took (decision 0009).
  int reconnect_ivl_ms = 10;
  int reconnect_ivl_max_ms = 100;
};

class DataSocket {
 public:
  virtual ~DataSocket() = default;

  virtual SocketRole role() const = 0;
  // e.g. "tcp://127.0.0.1:*" or "ipc:///tmp/x". kInvalidArgument / kUnavailable on failure.
  virtual Status bind(const std::string& endpoint) = 0;
  virtual Status connect(const std::string& endpoint) = 0;
  // The endpoint actually bound last (wildcard port resolved), e.g. "tcp://127.0.0.1:40123".
  virtual Result<std::string> lastEndpoint() const = 0;

  // Queues one message without blocking. On a receiver the first part is the peer's routing
  // id. kUnavailable: no such peer (EHOSTUNREACH) or, on a sender, no live connection;
  // kOverloaded: the pipe is at its HWM; kInvalidArgument: no parts.
  virtual Status send(const Multipart& parts) = 0;
  // Waits up to timeout_ms (0 = poll, -1 = forever) for one whole message.
  // kDeadlineExceeded when none arrived in time.
  virtual Result<Multipart> recv(int timeout_ms) = 0;

  // The libzmq socket, for pollReadable only.
  virtual void* nativeHandle() = 0;
};

// `context` is borrowed and must outlive the socket.
Result<std::unique_ptr<DataSocket>> makeDataSocket(TransportContext& context, SocketRole role,
                                                   const SocketOptions& options = {});

// A receiver (ROUTER) that, when `curve` is enabled, is a CURVE server with its keys and lets in
// only `curve.authorized` (it starts or updates the context's ZAP handler first); plaintext
// otherwise. Errors: makeDataSocket's, the ZAP handler's.
Result<std::unique_ptr<DataSocket>> makeReceiver(TransportContext& context,
                                                 const CurveIdentity& curve);

// Waits up to timeout_ms (0 = poll, -1 = forever) until at least one socket has a message;
// returns the indices of those that do (empty on timeout). REQUIRES: sockets non-null and
// owned by the calling thread.
Result<std::vector<size_t>> pollReadable(const std::vector<DataSocket*>& sockets, int timeout_ms);

}  // namespace spikeline::transport
