#include "workers/protocol.h"

#include <cstring>

#include "wire/codec.h"

namespace spikeline::workers {

Result<transport::Bytes> encodeBytes(const wire::Message& message) {
  SPIKELINE_ASSIGN_OR_RETURN(wire::WireBuffer buf, wire::encode(message));
  const auto bytes = buf.bytes();
  return transport::Bytes(bytes.begin(), bytes.end());
}

Result<transport::Multipart> controlToPeer(const std::string& peer, const wire::Message& message) {
  SPIKELINE_ASSIGN_OR_RETURN(transport::Bytes payload, encodeBytes(message));
  transport::Envelope e{transport::Bytes(peer.begin(), peer.end()), transport::MessageKind::kControl,
                        std::move(payload)};
  return transport::toMultipart(std::move(e), transport::Side::kRouter);
}

Result<transport::Multipart> controlOnDealer(const wire::Message& message) {
  SPIKELINE_ASSIGN_OR_RETURN(transport::Bytes payload, encodeBytes(message));
  transport::Envelope e{{}, transport::MessageKind::kControl, std::move(payload)};
  return transport::toMultipart(std::move(e), transport::Side::kDealer);
}

transport::Multipart dataOnDealer(transport::Bytes frame) {
  transport::Envelope e{{}, transport::MessageKind::kData, std::move(frame)};
  return transport::toMultipart(std::move(e), transport::Side::kDealer);
}

transport::Multipart heartbeatOnDealer() {
  return transport::toMultipart(transport::Envelope{{}, transport::MessageKind::kHeartbeat, {}},
                                transport::Side::kDealer);
}

wire::Ack makeAck(RequestId request_id, uint32_t attempt, const std::string& stage,
                  wire::AckKind kind, const Status& nack) {
  wire::Ack ack;
  ack.request_id = request_id;
  ack.attempt = attempt;
  ack.stage = stage;
  ack.kind = kind;
  if (kind == wire::AckKind::kNack) {
    ack.code = nack.isOk() ? StatusCode::kInternal : nack.code();
    ack.message = nack.message();
  }
  return ack;
}

Result<transport::Bytes> restampAttempt(const transport::Bytes& frame, uint32_t attempt) {
  SPIKELINE_ASSIGN_OR_RETURN(wire::SpikeFrame decoded, wire::decodeFrame(frame));
  decoded.attempt = attempt;
  return encodeBytes(decoded);
}

}  // namespace spikeline::workers
