// Envelope: the transport framing of one data-plane message,
// [routing id (ROUTER side only)] [kind: 1 byte] [payload], and its pure encode/parse.
// The payload is opaque here (a wire SpikeFrame or control message). Values; thread-safe as values.
// Framing decision: docs/decisions/0002-flow-control-and-custody.md section 4.
#pragma once

#include <cstdint>

#include "core/result.h"
#include "transport/bytes.h"

namespace spikeline::transport {

enum class MessageKind : uint8_t {
  kData = 0x01,       // payload: one wire SpikeFrame
  kControl = 0x02,    // payload: one wire control message (grant, ack, error reply)
  kHeartbeat = 0x03,  // payload empty: hello / still alive
};

struct Envelope {
  Bytes routing_id;  // the peer, on a ROUTER; empty on a DEALER
  MessageKind kind = MessageKind::kData;
  Bytes payload;
  friend bool operator==(const Envelope&, const Envelope&) = default;
};

// Which side of the connection the parts are read or written on.
enum class Side : uint8_t { kRouter = 0, kDealer = 1 };

// The parts to send. On kRouter, REQUIRES a non-empty routing_id (the peer to send to).
Multipart toMultipart(Envelope envelope, Side side);
// Parses received parts. kInvalidArgument on a wrong part count, a kind that is not one byte,
// an unknown kind, or an empty routing id: untrusted input, drop it and count it.
Result<Envelope> parseEnvelope(Multipart parts, Side side);

}  // namespace spikeline::transport
