// ZapHandler: the ZeroMQ Authentication Protocol (ZAP, RFC 27) handler of one libzmq context.
// Every CURVE handshake on a server socket of that context asks it; it lets in a client whose
// public key is in the authorised set and refuses any other (the connection is closed before a
// single message passes). Owns one thread and its REP socket; stop() or the destructor joins.
// Thread safety: setAuthorized, refusals and accepted may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>

#include "core/result.h"
#include "transport/curve.h"

namespace spikeline::transport {

class ZapHandler {
 public:
  virtual ~ZapHandler() = default;
  // Replaces the authorised keys (key rotation); handshakes after this call use the new set.
  virtual void setAuthorized(AuthorizedKeys keys) = 0;
  // Handshakes refused / accepted so far.
  virtual uint64_t refusals() const = 0;
  virtual uint64_t accepted() const = 0;
  // Stops the thread. Idempotent. Must run before the context is terminated.
  virtual void stop() = 0;
};

// Binds inproc://zeromq.zap.01 on `zmq_context` (a raw libzmq context handle, e.g.
// TransportContext::nativeHandle()) and starts answering. A refused handshake is logged once
// per (peer address, key) with the key's prefix. kAlreadyExists when the context already has
// a handler.
Result<std::unique_ptr<ZapHandler>> startZapHandler(void* zmq_context, AuthorizedKeys keys);

}  // namespace spikeline::transport
