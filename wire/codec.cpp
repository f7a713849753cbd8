#include "wire/codec.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "spikeline.capnp.h"
#include "wire/detail/control_codec.h"
#include "wire/detail/frame_codec.h"
#include "wire/detail/bit_count.h"
#include "wire/detail/lists.h"

namespace spikeline::wire {
namespace {

using schema::Envelope;

constexpr uint64_t kControlFirstSegmentWords = 256;

// A MessageBuilder whose first segment is words [1, 1+n) of a buffer it hands out at the end,
// with word 0 left for the one-segment table: a one-segment message is serialized in place.
// Further segments (when the estimate was short) are separate buffers.
class InPlaceMessageBuilder final : public capnp::MessageBuilder {
 public:
  explicit InPlaceMessageBuilder(uint64_t first_segment_words)
      : buffer_(1 + first_segment_words, 0) {}

  kj::ArrayPtr<capnp::word> allocateSegment(unsigned minimum_size) override {
    if (!first_taken_ && buffer_.size() - 1 >= minimum_size) {
      first_taken_ = true;
      return {reinterpret_cast<capnp::word*>(buffer_.data() + 1), buffer_.size() - 1};
    }
    first_taken_ = true;
    const size_t size = std::max<size_t>(minimum_size, buffer_.size());
    extra_.emplace_back(size, 0);
    return {reinterpret_cast<capnp::word*>(extra_.back().data()), size};
  }

  // The serialized message (segment table + segments).
  WireBuffer finish() {
    const auto segments = getSegmentsForOutput();
    if (segments.size() == 1 &&
        segments[0].begin() == reinterpret_cast<const capnp::word*>(buffer_.data() + 1)) {
      // Segment table: uint32 (segment count - 1) = 0, then uint32 segment size, little-endian.
      buffer_[0] = uint64_t{static_cast<uint32_t>(segments[0].size())} << 32;
      buffer_.resize(1 + segments[0].size());
      return WireBuffer(std::move(buffer_));
    }
    std::vector<uint64_t> out(capnp::computeSerializedSizeInWords(segments));
    kj::ArrayOutputStream stream(
        kj::arrayPtr(reinterpret_cast<kj::byte*>(out.data()), out.size() * sizeof(uint64_t)));
    capnp::writeMessage(stream, segments);
    return WireBuffer(std::move(out));
  }

 private:
  std::vector<uint64_t> buffer_;
  bool first_taken_ = false;
  std::vector<std::vector<uint64_t>> extra_;
};

Result<WireBuffer> encodeUnchecked(const Message& message, const EncodeOptions& options) {
  if (const auto* frame = std::get_if<SpikeFrame>(&message)) {
    const detail::PayloadPlan plan = detail::planPayload(*frame, options);
    InPlaceMessageBuilder builder(detail::estimateFrameWords(*frame, plan));
    SPIKELINE_RETURN_IF_ERROR(
        detail::writeFrame(*frame, plan, builder.initRoot<Envelope>().initFrame()));
    return builder.finish();
  }
  InPlaceMessageBuilder builder(kControlFirstSegmentWords);
  SPIKELINE_RETURN_IF_ERROR(detail::writeControl(message, builder.initRoot<Envelope>()));
  return builder.finish();
}

Result<Message> readEnvelope(Envelope::Reader envelope) {
  switch (envelope.which()) {
    case Envelope::UNSET:
      return invalidArgument("envelope holds no message (union not set)");
    case Envelope::FRAME: {
      auto frame = detail::readFrame(envelope.getFrame());
      if (!frame.isOk()) return frame.status();
      return Message(std::move(frame).value());
    }
    case Envelope::REGISTER_WORKER:
    case Envelope::HEARTBEAT:
    case Envelope::DEREGISTER:
    case Envelope::HARDWARE_FAULT:
    case Envelope::CREDIT_GRANT:
    case Envelope::ACK:
    case Envelope::ROUTE_TABLE:
    case Envelope::ERROR_REPLY:
    case Envelope::INJECT_FAULT:
      return detail::readControl(envelope);
  }
  return invalidArgument("unknown message kind " +
                         std::to_string(static_cast<uint16_t>(envelope.which())));
}

// Runs read(Envelope::Reader) over `bytes` under the limits of wire/limits.h, catching every
// capnp exception. Zero-copy when `bytes` is 8-byte aligned.
template <typename T, typename Read>
Result<T> withEnvelope(std::span<const uint8_t> bytes, Read&& read) {
  if (bytes.empty()) return invalidArgument("empty input (0 bytes)");
  if (bytes.size() % sizeof(capnp::word) != 0) {
    return invalidArgument("input of " + std::to_string(bytes.size()) +
                           " bytes is not a whole number of 8-byte words");
  }
  if (bytes.size() > kMaxMessageBytes) {
    return invalidArgument("input of " + std::to_string(bytes.size()) + " bytes above limit " +
                           std::to_string(kMaxMessageBytes));
  }
  const size_t num_words = bytes.size() / sizeof(capnp::word);
  std::vector<uint64_t> aligned;
  const auto* words = reinterpret_cast<const capnp::word*>(bytes.data());
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(uint64_t) != 0) {
    aligned.resize(num_words);
    std::memcpy(aligned.data(), bytes.data(), bytes.size());
    words = reinterpret_cast<const capnp::word*>(aligned.data());
  }
  capnp::ReaderOptions options;
  options.traversalLimitInWords = kTraversalWordsPerInputWord * num_words + kTraversalSlackWords;
  options.nestingLimit = kNestingLimit;
  try {
    capnp::FlatArrayMessageReader reader(kj::arrayPtr(words, num_words), options);
    if (reader.getEnd() != words + num_words) {
      const size_t used = static_cast<size_t>(reader.getEnd() - words) * sizeof(capnp::word);
      return invalidArgument("trailing bytes: message ends at byte " + std::to_string(used) +
                             " of " + std::to_string(bytes.size()));
    }
    return read(reader.getRoot<Envelope>());
  } catch (const kj::Exception& e) {
    return invalidArgument(std::string("malformed Cap'n Proto message: ") +
                           e.getDescription().cStr());
  } catch (const std::bad_alloc&) {
    return resourceExhausted("out of memory while decoding a message");
  }
}

}  // namespace

uint64_t bitmapPayloadWords(const SpikeTensor& spikes) {
  return detail::bitmapWords(spikes.timesteps(), spikes.wordsPerStep());
}

uint64_t eventsPayloadWords(const SpikeTensor& spikes) {
  return detail::eventsWords(spikes.timesteps(), detail::countBits(spikes.words()));
}

PayloadEncoding chooseSpikeEncoding(const SpikeTensor& spikes) {
  return detail::planSpikes(spikes, SpikeEncoding::kAuto).encoding;
}

Result<WireBuffer> encode(const Message& message, const EncodeOptions& options) {
  try {
    auto encoded = encodeUnchecked(message, options);
    if (!encoded.isOk()) return encoded.status().withContext("wire encode");
    return encoded;
  } catch (const kj::Exception& e) {
    return invalidArgument(std::string("wire encode: ") + e.getDescription().cStr());
  } catch (const std::bad_alloc&) {
    return resourceExhausted("wire encode: out of memory");
  }
}

Result<Message> decode(std::span<const uint8_t> bytes) {
  auto message = withEnvelope<Message>(bytes, readEnvelope);
  if (!message.isOk()) return message.status().withContext("wire decode");
  return message;
}

Result<SpikeFrame> decodeFrame(std::span<const uint8_t> bytes) {
  SPIKELINE_ASSIGN_OR_RETURN(Message message, decode(bytes));
  if (auto* frame = std::get_if<SpikeFrame>(&message)) return std::move(*frame);
  return invalidArgument("wire decode: expected a spike frame, got message alternative " +
                         std::to_string(message.index()));
}

Result<PayloadEncoding> payloadEncodingOf(std::span<const uint8_t> bytes) {
  auto encoding = withEnvelope<PayloadEncoding>(
      bytes, [](Envelope::Reader envelope) -> Result<PayloadEncoding> {
        if (envelope.which() != Envelope::FRAME) return invalidArgument("not a spike frame");
        using P = schema::SpikeFrame::Payload;
        switch (envelope.getFrame().getPayload().which()) {
          case P::BITMAP:
            return PayloadEncoding::kBitmap;
          case P::EVENTS:
            return PayloadEncoding::kEvents;
          case P::DENSE_FLOAT32:
            return PayloadEncoding::kDenseFloat32;
          case P::DENSE_INT32:
            return PayloadEncoding::kDenseInt32;
          default:
            return invalidArgument("frame payload missing or unknown");
        }
      });
  if (!encoding.isOk()) return encoding.status().withContext("wire");
  return encoding;
}

}  // namespace spikeline::wire
