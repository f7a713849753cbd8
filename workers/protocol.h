// Helpers that turn wire messages into transport envelopes and back, for every data-plane
// socket of a worker or client (framing: decision 0002 §4). Pure functions over values; they
// never throw (an encode failure is a Status). Thread safety: safe to call concurrently.
#pragma once

#include <string>

#include "core/result.h"
#include "transport/bytes.h"
#include "transport/envelope.h"
#include "wire/control.h"

namespace spikeline::workers {

// The WireBuffer of `message` as transport bytes.
Result<transport::Bytes> encodeBytes(const wire::Message& message);

// A control message to `peer` on a ROUTER (peer = the sender's routing id).
Result<transport::Multipart> controlToPeer(const std::string& peer, const wire::Message& message);
// A control message on a DEALER.
Result<transport::Multipart> controlOnDealer(const wire::Message& message);
// An encoded frame on a DEALER.
transport::Multipart dataOnDealer(transport::Bytes frame);
// An empty heartbeat ("hello") on a DEALER.
transport::Multipart heartbeatOnDealer();

wire::Ack makeAck(RequestId request_id, uint32_t attempt, const std::string& stage,
                  wire::AckKind kind, const Status& nack = Status::ok());

// The frame with `attempt` stamped, re-encoded (used for re-sends of held bytes).
Result<transport::Bytes> restampAttempt(const transport::Bytes& frame, uint32_t attempt);

}  // namespace spikeline::workers
