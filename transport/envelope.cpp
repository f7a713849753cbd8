#include "transport/envelope.h"

#include <cassert>
#include <string>
#include <utility>

namespace spikeline::transport {
namespace {

bool isKnownKind(uint8_t kind) {
  return kind == static_cast<uint8_t>(MessageKind::kData) ||
         kind == static_cast<uint8_t>(MessageKind::kControl) ||
         kind == static_cast<uint8_t>(MessageKind::kHeartbeat);
}

}  // namespace

Multipart toMultipart(Envelope envelope, Side side) {
  Multipart parts;
  parts.reserve(3);
  if (side == Side::kRouter) {
    assert(!envelope.routing_id.empty());
    parts.push_back(std::move(envelope.routing_id));
  }
  parts.push_back(Bytes{static_cast<uint8_t>(envelope.kind)});
  parts.push_back(std::move(envelope.payload));
  return parts;
}

Result<Envelope> parseEnvelope(Multipart parts, Side side) {
  const size_t expected = side == Side::kRouter ? 3 : 2;
  if (parts.size() != expected) {
    return invalidArgument("envelope has " + std::to_string(parts.size()) + " parts, expected " +
                           std::to_string(expected));
  }
  Envelope out;
  size_t i = 0;
  if (side == Side::kRouter) {
    if (parts[0].empty()) return invalidArgument("envelope has an empty routing id");
    out.routing_id = std::move(parts[i++]);
  }
  const Bytes& kind = parts[i++];
  if (kind.size() != 1 || !isKnownKind(kind[0])) {
    return invalidArgument("envelope has an unknown kind part");
  }
  out.kind = static_cast<MessageKind>(kind[0]);
  out.payload = std::move(parts[i]);
  return out;
}

}  // namespace spikeline::transport
