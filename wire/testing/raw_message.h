// Test-only: writes messages the real encoder refuses to write (inconsistent payloads, unknown
// enum values, aliased and cyclic pointers) so tests and the fuzz seed corpus can feed them to
// decode(). Linked only by tests/ and fuzz/ (target spikeline_wire_testing).
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "wire/codec.h"

namespace spikeline::wire::testing {

// A frame's shape, T and payload written verbatim, without any consistency check.
struct RawFrame {
  enum class Kind : uint8_t { kUnset, kBitmap, kEvents, kDenseFloat32, kDenseInt32 };
  std::vector<uint32_t> shape;
  uint32_t timesteps = 0;
  Kind kind = Kind::kUnset;
  std::vector<uint64_t> bitmap;
  std::vector<uint32_t> offsets;
  std::vector<uint32_t> addresses;
  std::vector<float> floats;
  std::vector<int32_t> ints;
};
WireBuffer encodeRawFrame(const RawFrame& frame);

// An Envelope whose union discriminant is `discriminant` (0 = unset, > 9 = unknown kind).
WireBuffer encodeEnvelopeKind(uint16_t discriminant);
// A frame (valid bitmap payload) whose payload union discriminant is `discriminant`.
WireBuffer encodeFramePayloadKind(uint16_t discriminant);
// Control messages carrying raw enum / status-code values.
WireBuffer encodeNack(int32_t code);
WireBuffer encodeErrorReply(int32_t code);
WireBuffer encodeRegisterWithBackend(uint16_t backend);
WireBuffer encodeHeartbeat(float load, uint16_t health);
WireBuffer encodeAckKind(uint16_t discriminant);

// A frame whose `hops` trace entries all point their hop name at the same `text_bytes`-long
// Text: small on the wire, `hops * text_bytes` to read (an amplification bomb).
WireBuffer encodeAliasedTrace(uint32_t hops, uint32_t text_bytes);
// A frame whose trace is a list of `count` zero-sized structs: one tag word on the wire.
WireBuffer encodeEmptyStructListBomb(uint32_t count);
// A frame whose `model` pointer points back at the frame struct itself (a pointer cycle).
WireBuffer encodeSelfReferentialFrame();

}  // namespace spikeline::wire::testing
