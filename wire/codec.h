// Encode a Message (wire/control.h) to Cap'n Proto bytes and decode untrusted bytes back.
// encode() owns nothing beyond the WireBuffer it returns; decode() borrows the input span only
// for the call. Never throws: every failure is a Status. Thread safety: pure functions, safe
// to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "core/spike_tensor.h"
#include "wire/control.h"
#include "wire/frame.h"
#include "wire/limits.h"

namespace spikeline::wire {

// Encoded message bytes held in 64-bit words, so that the bytes are 8-byte aligned and
// decode() reads them without a copy. A value type.
class WireBuffer {
 public:
  WireBuffer() = default;
  explicit WireBuffer(std::vector<uint64_t> words) : words_(std::move(words)) {}
  std::span<const uint8_t> bytes() const {
    return {reinterpret_cast<const uint8_t*>(words_.data()), words_.size() * 8};
  }
  size_t size() const { return words_.size() * 8; }
  std::span<const uint64_t> words() const { return words_; }

 private:
  std::vector<uint64_t> words_;
};

// How a frame's payload is stored on the wire.
enum class PayloadEncoding : uint8_t {
  kBitmap = 0,
  kEvents = 1,
  kDenseFloat32 = 2,
  kDenseInt32 = 3
};

// kAuto picks the smaller of bitmap and events per frame (ties: bitmap); the others force one
// (tests, experiments). Dense payloads ignore this.
enum class SpikeEncoding : uint8_t { kAuto = 0, kBitmap = 1, kEvents = 2 };

struct EncodeOptions {
  SpikeEncoding spikes = SpikeEncoding::kAuto;  // Default: kAuto
};

// Exact payload sizes in 64-bit words on the wire, list contents only (the struct and its
// pointers cost the same for both). Bitmap: T * ceil(N/64). Events: ceil((T+1)/2) +
// ceil(spikes/2) (UInt32 lists are padded to whole words).
uint64_t bitmapPayloadWords(const SpikeTensor& spikes);
uint64_t eventsPayloadWords(const SpikeTensor& spikes);
// kBitmap or kEvents: the smaller, ties to kBitmap. Deterministic.
PayloadEncoding chooseSpikeEncoding(const SpikeTensor& spikes);

// kInvalidArgument when the message breaks the limits of wire/limits.h (T, N, rank), a spike
// tensor has non-zero padding bits, or a status code is out of range.
Result<WireBuffer> encode(const Message& message, const EncodeOptions& options = {});

// Decodes bytes from anywhere (a socket). Zero-copy when `bytes` is 8-byte aligned; otherwise
// copies once into an aligned buffer. kInvalidArgument naming the problem for anything
// malformed, inconsistent or over the limits; never crashes, never allocates more than the
// limits allow.
Result<Message> decode(std::span<const uint8_t> bytes);
// Like decode(), but kInvalidArgument unless the message is a SpikeFrame.
Result<SpikeFrame> decodeFrame(std::span<const uint8_t> bytes);
// The payload encoding of an encoded frame, without decoding the payload (observability and
// tests). kInvalidArgument when the bytes are not a frame.
Result<PayloadEncoding> payloadEncodingOf(std::span<const uint8_t> bytes);

}  // namespace spikeline::wire
