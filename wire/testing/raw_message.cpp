#include "wire/testing/raw_message.h"

#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/schema.h>
#include <capnp/serialize.h>

#include <cstring>

#include "spikeline.capnp.h"

namespace spikeline::wire::testing {
namespace {

using schema::Envelope;

WireBuffer serialize(capnp::MessageBuilder& builder) {
  const kj::Array<capnp::word> flat = capnp::messageToFlatArray(builder);
  std::vector<uint64_t> words(flat.size());
  std::memcpy(words.data(), flat.begin(), flat.asBytes().size());
  return WireBuffer(std::move(words));
}

// A raw view of a struct (or group) builder; builders are cheap handles, so this copies one.
template <typename Builder>
capnp::AnyStruct::Builder anyOf(Builder builder) {
  return capnp::AnyStruct::Builder(kj::mv(builder));
}

template <typename T, typename ListBuilder>
void fill(const std::vector<T>& values, ListBuilder list) {
  for (unsigned i = 0; i < values.size(); ++i) list.set(i, values[i]);
}

// Overwrites the union discriminant of a struct whose schema is S.
template <typename S>
void setDiscriminant(typename S::Builder builder, uint16_t discriminant) {
  const uint32_t offset = capnp::Schema::from<S>().getProto().getStruct().getDiscriminantOffset();
  kj::ArrayPtr<kj::byte> data = anyOf(builder).getDataSection();
  std::memcpy(data.begin() + offset * sizeof(uint16_t), &discriminant, sizeof(discriminant));
}

void fillValidFrame(schema::SpikeFrame::Builder frame) {
  frame.initShape(1).set(0, 10);
  frame.setTimesteps(2);
  fill(std::vector<uint64_t>{1, 2}, frame.initPayload().initBitmap(2));
}

// A list pointer word (capnp encoding spec): offset in words from the end of the pointer to the
// target, element size code, element count.
uint64_t listPointer(const void* pointer_at, const void* target, uint32_t size_code,
                     uint32_t count) {
  const auto from = reinterpret_cast<intptr_t>(pointer_at) + 8;
  const auto offset_words = static_cast<int32_t>((reinterpret_cast<intptr_t>(target) - from) / 8);
  const uint32_t low = (static_cast<uint32_t>(offset_words) << 2) | 1u;
  return uint64_t{low} | (uint64_t{(count << 3) | size_code} << 32);
}

}  // namespace

WireBuffer encodeRawFrame(const RawFrame& raw) {
  capnp::MallocMessageBuilder builder;
  auto frame = builder.initRoot<Envelope>().initFrame();
  fill(raw.shape, frame.initShape(static_cast<unsigned>(raw.shape.size())));
  frame.setTimesteps(raw.timesteps);
  auto payload = frame.initPayload();
  using K = RawFrame::Kind;
  switch (raw.kind) {
    case K::kUnset:
      break;
    case K::kBitmap:
      fill(raw.bitmap, payload.initBitmap(static_cast<unsigned>(raw.bitmap.size())));
      break;
    case K::kEvents: {
      auto events = payload.initEvents();
      fill(raw.offsets, events.initOffsets(static_cast<unsigned>(raw.offsets.size())));
      fill(raw.addresses, events.initAddresses(static_cast<unsigned>(raw.addresses.size())));
      break;
    }
    case K::kDenseFloat32:
      fill(raw.floats, payload.initDenseFloat32(static_cast<unsigned>(raw.floats.size())));
      break;
    case K::kDenseInt32:
      fill(raw.ints, payload.initDenseInt32(static_cast<unsigned>(raw.ints.size())));
      break;
  }
  return serialize(builder);
}

WireBuffer encodeEnvelopeKind(uint16_t discriminant) {
  capnp::MallocMessageBuilder builder;
  auto envelope = builder.initRoot<Envelope>();
  envelope.initCreditGrant().setGrantedTotal(1);
  setDiscriminant<Envelope>(envelope, discriminant);
  return serialize(builder);
}

WireBuffer encodeFramePayloadKind(uint16_t discriminant) {
  capnp::MallocMessageBuilder builder;
  auto frame = builder.initRoot<Envelope>().initFrame();
  fillValidFrame(frame);
  setDiscriminant<schema::SpikeFrame::Payload>(frame.getPayload(), discriminant);
  return serialize(builder);
}

WireBuffer encodeNack(int32_t code) {
  capnp::MallocMessageBuilder builder;
  auto nack = builder.initRoot<Envelope>().initAck().initKind().initNack();
  nack.setCode(code);
  nack.setMessage("raw");
  return serialize(builder);
}

WireBuffer encodeErrorReply(int32_t code) {
  capnp::MallocMessageBuilder builder;
  auto error = builder.initRoot<Envelope>().initErrorReply();
  error.setRequestId(7);
  error.setCode(code);
  return serialize(builder);
}

WireBuffer encodeRegisterWithBackend(uint16_t backend) {
  capnp::MallocMessageBuilder builder;
  auto reg = builder.initRoot<Envelope>().initRegisterWorker();
  reg.setWorker("w");
  reg.setBackend(static_cast<schema::BackendKind>(backend));
  return serialize(builder);
}

WireBuffer encodeHeartbeat(float load, uint16_t health) {
  capnp::MallocMessageBuilder builder;
  auto hb = builder.initRoot<Envelope>().initHeartbeat();
  hb.setWorker("w");
  hb.setLoad(load);
  hb.setHealth(static_cast<schema::BackendHealth>(health));
  return serialize(builder);
}

WireBuffer encodeAckKind(uint16_t discriminant) {
  capnp::MallocMessageBuilder builder;
  auto ack = builder.initRoot<Envelope>().initAck();
  ack.initKind().setReceived();
  setDiscriminant<schema::Ack::Kind>(ack.getKind(), discriminant);
  return serialize(builder);
}

WireBuffer encodeAliasedTrace(uint32_t hops, uint32_t text_bytes) {
  // One segment, so that plain (near) pointers reach the shared text.
  capnp::MallocMessageBuilder builder(hops * 4 + text_bytes / 8 + 256);
  auto frame = builder.initRoot<Envelope>().initFrame();
  fillValidFrame(frame);
  auto trace = frame.initTrace(hops);
  auto big = trace[0].initHop(text_bytes);
  std::memset(big.begin(), 'x', text_bytes);
  for (uint32_t i = 1; i < hops; ++i) {
    // HopTrace: 2 data words, then its one pointer (hop).
    kj::ArrayPtr<kj::byte> data = anyOf(trace[i]).getDataSection();
    const uint64_t pointer = listPointer(data.end(), big.begin(), 2 /* byte */, text_bytes + 1);
    std::memcpy(data.end(), &pointer, sizeof(pointer));
  }
  return serialize(builder);
}

WireBuffer encodeEmptyStructListBomb(uint32_t count) {
  capnp::MallocMessageBuilder builder;
  auto frame = builder.initRoot<Envelope>().initFrame();
  fillValidFrame(frame);
  frame.initTrace(1);
  const uint32_t slot = capnp::Schema::from<schema::SpikeFrame>()
                            .getFieldByName("trace")
                            .getProto()
                            .getSlot()
                            .getOffset();
  kj::byte* pointer_at = anyOf(frame).getDataSection().end() + slot * 8;
  uint64_t pointer;
  std::memcpy(&pointer, pointer_at, 8);
  const auto offset_words = static_cast<int32_t>(static_cast<uint32_t>(pointer) & ~3u) >> 2;
  kj::byte* tag_at = pointer_at + 8 + int64_t{offset_words} * 8;
  // Inline-composite list (size code 7) of 0 words; tag: `count` elements of 0 data, 0 pointers.
  pointer = (pointer & 0xffffffffULL) | (uint64_t{7} << 32);
  const uint64_t tag = uint64_t{count} << 2;
  std::memcpy(pointer_at, &pointer, 8);
  std::memcpy(tag_at, &tag, 8);
  return serialize(builder);
}

WireBuffer encodeSelfReferentialFrame() {
  capnp::MallocMessageBuilder builder;
  auto frame = builder.initRoot<Envelope>().initFrame();
  fillValidFrame(frame);
  frame.initModel().setName("m");
  // SpikeFrame's first pointer is `model`: make it a struct pointer to the frame itself.
  capnp::AnyStruct::Builder any = anyOf(frame);
  kj::ArrayPtr<kj::byte> data = any.getDataSection();
  const auto data_words = static_cast<uint16_t>(data.size() / 8);
  const auto pointer_words = static_cast<uint16_t>(any.getPointerSection().size());
  const auto offset_words = static_cast<int32_t>(-(data_words + 1));
  const uint64_t pointer = uint64_t{static_cast<uint32_t>(offset_words) << 2} |
                           (uint64_t{data_words} << 32) | (uint64_t{pointer_words} << 48);
  std::memcpy(data.end(), &pointer, sizeof(pointer));
  return serialize(builder);
}

}  // namespace spikeline::wire::testing
