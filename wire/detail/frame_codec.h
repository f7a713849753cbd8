// Private to wire/: SpikeFrame <-> generated Cap'n Proto builders/readers. Includes the
// generated header, so no header outside wire/ may include this one.
// May throw kj::Exception (capnp); wire/codec.cpp catches. Thread safety: pure functions.
#pragma once

#include <cstdint>

#include "core/result.h"
#include "core/status.h"
#include "spikeline.capnp.h"
#include "wire/codec.h"
#include "wire/frame.h"

namespace spikeline::wire::detail {

// How a frame's payload will be written: the encoding and, for kEvents, the spike count.
struct PayloadPlan {
  PayloadEncoding encoding = PayloadEncoding::kBitmap;
  uint64_t spikes = 0;  // kEvents only
};
PayloadPlan planPayload(const SpikeFrame& frame, const EncodeOptions& options);
PayloadPlan planSpikes(const SpikeTensor& spikes, SpikeEncoding choice);

// Payload list words (see wire/codec.h) from T, words per step and the spike count.
uint64_t bitmapWords(uint32_t timesteps, uint32_t words_per_step);
uint64_t eventsWords(uint32_t timesteps, uint64_t spikes);

// Upper estimate of the encoded size in words, so the builder can use one segment.
uint64_t estimateFrameWords(const SpikeFrame& frame, const PayloadPlan& plan);

// Checks the limits (wire/limits.h) and padding bits, then fills `out`.
Status writeFrame(const SpikeFrame& frame, const PayloadPlan& plan,
                  schema::SpikeFrame::Builder out);

// Validates everything; reads each field once (the traversal limit relies on it).
Result<SpikeFrame> readFrame(schema::SpikeFrame::Reader in);

}  // namespace spikeline::wire::detail
