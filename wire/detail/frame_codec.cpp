#include "wire/detail/frame_codec.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>
#include <vector>

#include "wire/detail/bit_count.h"
#include "wire/detail/lists.h"
#include "wire/limits.h"

namespace spikeline::wire::detail {
namespace {

std::string str(uint64_t v) { return std::to_string(v); }

// Mask of the padding bits in the last word of a row; 0 when N is a multiple of 64.
uint64_t paddingMask(uint32_t num_neurons) {
  const uint32_t tail = num_neurons % 64u;
  return tail == 0 ? 0 : ~((uint64_t{1} << tail) - 1);
}

// First timestep whose padding bits are not zero, or T when all are zero.
uint32_t firstDirtyPaddingStep(const SpikeTensor& s) {
  const uint64_t mask = paddingMask(s.numNeurons());
  if (mask == 0) return s.timesteps();
  for (uint32_t t = 0; t < s.timesteps(); ++t) {
    if (s.step(t).back() & mask) return t;
  }
  return s.timesteps();
}

// Copies `values` into a freshly initialised list. REQUIRES: the same length (a shorter list
// gets a prefix: never a write out of bounds).
template <typename T>
void fillList(std::span<const T> values, typename capnp::List<T>::Builder list) {
  assert(values.size() == list.size());
  const std::span<T> storage = listStorage<T>(list);
  const size_t n = std::min(values.size(), storage.size());
  if (n > 0) std::memcpy(storage.data(), values.data(), n * sizeof(T));
}

void writeBitmap(const SpikeTensor& s, schema::SpikeFrame::Payload::Builder out) {
  fillList<uint64_t>(s.words(), out.initBitmap(static_cast<unsigned>(s.words().size())));
}

// REQUIRES: spikes == s.countSpikes() (kInternal otherwise, nothing written out of bounds).
Status writeEvents(const SpikeTensor& s, uint64_t spikes,
                   schema::SpikeFrame::Payload::Builder out) {
  auto events = out.initEvents();
  const std::span<uint32_t> offsets = listStorage<uint32_t>(events.initOffsets(s.timesteps() + 1));
  const std::span<uint32_t> addresses =
      listStorage<uint32_t>(events.initAddresses(static_cast<unsigned>(spikes)));
  uint64_t k = 0;
  for (uint32_t t = 0; t < s.timesteps(); ++t) {
    offsets[t] = static_cast<uint32_t>(k);
    s.forEachSpike(t, [&](uint32_t i) {
      if (k < addresses.size()) addresses[k] = i;
      ++k;
    });
  }
  offsets[s.timesteps()] = static_cast<uint32_t>(k);
  if (k != spikes)
    return internalError("events: counted " + str(spikes) + " spikes, found " + str(k));
  return Status::ok();
}

void writeDense(const DenseTensor& d, schema::SpikeFrame::Payload::Builder out) {
  const auto n = static_cast<unsigned>(d.size());
  if (d.dtype() == DType::kFloat32) {
    fillList<float>(d.floats(), out.initDenseFloat32(n));
  } else {
    fillList<int32_t>(d.ints(), out.initDenseInt32(n));
  }
}

Result<Shape> readShape(capnp::List<uint32_t>::Reader list) {
  if (list.size() > kMaxRank) {
    return invalidArgument("shape has rank " + str(list.size()) + ", limit " + str(kMaxRank));
  }
  std::vector<uint32_t> scratch;
  const std::span<const uint32_t> dims = listView<uint32_t>(list, scratch);
  return Shape(std::vector<uint32_t>(dims.begin(), dims.end()));
}

Result<Tensor> readBitmap(capnp::List<uint64_t>::Reader list, const Shape& shape, uint32_t t) {
  const uint64_t words_per_step = (shape.numel() + 63) / 64;
  const uint64_t expected = uint64_t{t} * words_per_step;
  if (list.size() != expected) {
    return invalidArgument("bitmap has " + str(list.size()) + " words, expected T*ceil(N/64) = " +
                           str(t) + "*" + str(words_per_step) + " = " + str(expected));
  }
  SpikeTensor s(shape, t);
  std::vector<uint64_t> scratch;
  const std::span<const uint64_t> words = listView<uint64_t>(list, scratch);
  if (!words.empty()) std::memcpy(s.mutableWords().data(), words.data(), words.size_bytes());
  const uint32_t dirty = firstDirtyPaddingStep(s);
  if (dirty != t) {
    return invalidArgument("bitmap padding bits beyond neuron " + str(s.numNeurons()) +
                           " are set in timestep " + str(dirty));
  }
  return Tensor(std::move(s));
}

Status checkOffsets(std::span<const uint32_t> offsets, uint32_t t, uint64_t num_addresses) {
  if (offsets.size() != uint64_t{t} + 1) {
    return invalidArgument("events offsets has " + str(offsets.size()) +
                           " entries, expected T+1 = " + str(uint64_t{t} + 1));
  }
  if (offsets[0] != 0) return invalidArgument("events offsets[0] = " + str(offsets[0]) + ", not 0");
  for (uint32_t i = 0; i < t; ++i) {
    if (offsets[i + 1] < offsets[i]) {
      return invalidArgument("events offsets not monotone at timestep " + str(i) + " (" +
                             str(offsets[i]) + " > " + str(offsets[i + 1]) + ")");
    }
  }
  if (offsets[t] != num_addresses) {
    return invalidArgument("events offsets[T] = " + str(offsets[t]) + " but addresses has " +
                           str(num_addresses) + " entries");
  }
  return Status::ok();
}

Result<Tensor> readEvents(schema::SpikeFrame::Payload::Events::Reader in, const Shape& shape,
                          uint32_t t) {
  std::vector<uint32_t> offsets_scratch;
  std::vector<uint32_t> addresses_scratch;
  const auto offsets = listView<uint32_t>(in.getOffsets(), offsets_scratch);
  const auto addresses = listView<uint32_t>(in.getAddresses(), addresses_scratch);
  SPIKELINE_RETURN_IF_ERROR(checkOffsets(offsets, t, addresses.size()));
  SpikeTensor s(shape, t);
  for (uint32_t step = 0; step < t; ++step) {
    int64_t previous = -1;
    for (uint32_t k = offsets[step]; k < offsets[step + 1]; ++k) {
      const uint32_t a = addresses[k];
      if (a >= s.numNeurons()) {
        return invalidArgument("events address " + str(a) + " in timestep " + str(step) +
                               " out of range (N = " + str(s.numNeurons()) + ")");
      }
      if (int64_t{a} <= previous) {
        return invalidArgument("events addresses not strictly ascending in timestep " + str(step) +
                               " (" + str(a) + " after " + str(uint64_t(previous)) + ")");
      }
      previous = a;
      s.set(step, a);
    }
  }
  return Tensor(std::move(s));
}

template <typename T>
Result<Tensor> readDense(typename capnp::List<T>::Reader list, const Shape& shape, uint32_t t,
                         const char* what) {
  const uint64_t expected = uint64_t{t} * shape.numel();
  if (list.size() != expected) {
    return invalidArgument(std::string(what) + " has " + str(list.size()) +
                           " values, expected T*N = " + str(expected));
  }
  std::vector<T> scratch;
  const std::span<const T> values = listView<T>(list, scratch);
  return Tensor(DenseTensor(shape, t, std::vector<T>(values.begin(), values.end())));
}

Result<Tensor> readPayload(schema::SpikeFrame::Payload::Reader in, const Shape& shape, uint32_t t) {
  using P = schema::SpikeFrame::Payload;
  switch (in.which()) {
    case P::UNSET:
      return invalidArgument("frame payload missing (union not set)");
    case P::BITMAP:
      return readBitmap(in.getBitmap(), shape, t);
    case P::EVENTS:
      return readEvents(in.getEvents(), shape, t);
    case P::DENSE_FLOAT32:
      return readDense<float>(in.getDenseFloat32(), shape, t, "dense float32 payload");
    case P::DENSE_INT32:
      return readDense<int32_t>(in.getDenseInt32(), shape, t, "dense int32 payload");
  }
  return invalidArgument("unknown frame payload kind " + str(static_cast<uint16_t>(in.which())));
}

Result<std::vector<HopTrace>> readTrace(capnp::List<schema::HopTrace>::Reader list) {
  std::vector<HopTrace> trace;
  trace.reserve(list.size());  // bounded: each element is in the message (>= 3 words)
  for (auto hop : list) {
    trace.push_back(HopTrace{toStdString(hop.getHop()), hop.getReceivedNs(), hop.getSentNs()});
  }
  return trace;
}

}  // namespace

Status checkTensorLimits(const Shape& shape, uint32_t timesteps) {
  if (shape.rank() > kMaxRank) {
    return invalidArgument("shape " + shape.toString() + " has rank above " + str(kMaxRank));
  }
  if (timesteps == 0 || timesteps > kMaxTimesteps) {
    return invalidArgument("timesteps T = " + str(timesteps) + " outside 1.." + str(kMaxTimesteps));
  }
  const uint64_t n = shape.numel();
  if (n == 0 || n > kMaxNeurons) {
    return invalidArgument("shape " + shape.toString() + " has numel outside 1.." +
                           str(kMaxNeurons));
  }
  if (n * timesteps > kMaxNeuronSteps) {
    return invalidArgument("T*numel = " + str(n * timesteps) + " above " + str(kMaxNeuronSteps));
  }
  return Status::ok();
}

uint64_t bitmapWords(uint32_t timesteps, uint32_t words_per_step) {
  return uint64_t{timesteps} * words_per_step;
}

uint64_t eventsWords(uint32_t timesteps, uint64_t spikes) {
  return (uint64_t{timesteps} + 2) / 2 + (spikes + 1) / 2;
}

uint64_t estimateFrameWords(const SpikeFrame& frame, const PayloadPlan& plan) {
  auto text = [](const std::string& s) { return uint64_t{s.size()} / 8 + 2; };
  uint64_t words = 32 + text(frame.model.name) + text(frame.stage) + text(frame.reply_to) +
                   text(frame.reply_key) + tensorShape(frame.payload).rank() / 2 + 1;
  for (const HopTrace& hop : frame.trace) words += 4 + text(hop.hop);
  if (const auto* spikes = std::get_if<SpikeTensor>(&frame.payload)) {
    words += plan.encoding == PayloadEncoding::kBitmap
                 ? bitmapWords(spikes->timesteps(), spikes->wordsPerStep())
                 : eventsWords(spikes->timesteps(), plan.spikes);
  } else {
    words += (std::get<DenseTensor>(frame.payload).size() + 1) / 2;
  }
  return words;
}

PayloadPlan planPayload(const SpikeFrame& frame, const EncodeOptions& options) {
  if (const auto* dense = std::get_if<DenseTensor>(&frame.payload)) {
    return {dense->dtype() == DType::kFloat32 ? PayloadEncoding::kDenseFloat32
                                              : PayloadEncoding::kDenseInt32,
            0};
  }
  return planSpikes(std::get<SpikeTensor>(frame.payload), options.spikes);
}

PayloadPlan planSpikes(const SpikeTensor& spikes, SpikeEncoding choice) {
  switch (choice) {
    case SpikeEncoding::kBitmap:
      return {PayloadEncoding::kBitmap, 0};
    case SpikeEncoding::kEvents:
      return {PayloadEncoding::kEvents, countBits(spikes.words())};
    case SpikeEncoding::kAuto:
      break;
  }
  // Exact, with an early exit: with S >= 2 * bitmap words, events cost more than the bitmap
  // whatever S is exactly, so counting stops there (most of the work for denser frames).
  const uint64_t bitmap_words = bitmapWords(spikes.timesteps(), spikes.wordsPerStep());
  const uint64_t count = countBits(spikes.words(), 2 * bitmap_words);
  if (eventsWords(spikes.timesteps(), count) < bitmap_words) {
    return {PayloadEncoding::kEvents, count};
  }
  return {PayloadEncoding::kBitmap, 0};
}

Status writeFrame(const SpikeFrame& frame, const PayloadPlan& plan,
                  schema::SpikeFrame::Builder out) {
  const Shape& shape = tensorShape(frame.payload);
  const uint32_t t = tensorTimesteps(frame.payload);
  SPIKELINE_RETURN_IF_ERROR(checkTensorLimits(shape, t));
  const auto* spikes = std::get_if<SpikeTensor>(&frame.payload);
  if (spikes != nullptr && firstDirtyPaddingStep(*spikes) != t) {
    return invalidArgument("spike tensor has non-zero padding bits in timestep " +
                           str(firstDirtyPaddingStep(*spikes)));
  }
  if (const auto* dense = std::get_if<DenseTensor>(&frame.payload)) {
    const size_t held =
        dense->dtype() == DType::kFloat32 ? dense->floats().size() : dense->ints().size();
    if (held != dense->size()) {
      return invalidArgument("dense tensor holds " + str(held) + " values, shape and T say " +
                             str(dense->size()));
    }
  }
  out.setRequestId(frame.request_id);
  auto model = out.initModel();
  model.setName(frame.model.name);
  model.setVersion(frame.model.version);
  out.setTarget(frame.target.value);
  out.setStage(frame.stage);
  out.setAttempt(frame.attempt);
  out.setDeadlineNs(frame.deadline_ns);
  out.setReplyTo(frame.reply_to);
  out.setReplyKey(frame.reply_key);
  fillList<uint32_t>(shape.dims(), out.initShape(static_cast<unsigned>(shape.rank())));
  out.setTimesteps(t);
  auto trace = out.initTrace(static_cast<unsigned>(frame.trace.size()));
  for (unsigned i = 0; i < frame.trace.size(); ++i) {
    trace[i].setHop(frame.trace[i].hop);
    trace[i].setReceivedNs(frame.trace[i].received_ns);
    trace[i].setSentNs(frame.trace[i].sent_ns);
  }
  if (spikes == nullptr) {
    writeDense(std::get<DenseTensor>(frame.payload), out.initPayload());
  } else if (plan.encoding == PayloadEncoding::kBitmap) {
    writeBitmap(*spikes, out.initPayload());
  } else {
    return writeEvents(*spikes, plan.spikes, out.initPayload());
  }
  return Status::ok();
}

Result<SpikeFrame> readFrame(schema::SpikeFrame::Reader in) {
  SpikeFrame f;
  f.request_id = in.getRequestId();
  const auto model = in.getModel();
  f.model = ModelRef{toStdString(model.getName()), model.getVersion()};
  f.target = OperatorId{in.getTarget()};
  f.stage = toStdString(in.getStage());
  f.attempt = in.getAttempt();
  f.deadline_ns = in.getDeadlineNs();
  f.reply_to = toStdString(in.getReplyTo());
  f.reply_key = toStdString(in.getReplyKey());
  auto read_shape = readShape(in.getShape());
  if (!read_shape.isOk()) return read_shape.status().withContext("frame");
  const Shape shape = std::move(read_shape).value();
  const uint32_t t = in.getTimesteps();
  SPIKELINE_RETURN_IF_ERROR(checkTensorLimits(shape, t).withContext("frame"));
  SPIKELINE_ASSIGN_OR_RETURN(f.trace, readTrace(in.getTrace()));
  auto payload = readPayload(in.getPayload(), shape, t);
  if (!payload.isOk()) return payload.status().withContext("frame");
  f.payload = std::move(payload).value();
  return f;
}

}  // namespace spikeline::wire::detail
