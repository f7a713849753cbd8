// SpikeFrame: one request's activity crossing one stage boundary, for all T timesteps, as the
// data plane sees it in memory (wire/codec.h turns it into bytes and back).
// A value type: owns its payload; copyable, movable, comparable. Thread safety: as a value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/ids.h"
#include "core/tensor.h"

namespace spikeline::wire {

// One worker's passage of a frame. Times are wall clock, ns since the Unix epoch.
struct HopTrace {
  std::string hop;  // worker name
  int64_t received_ns = 0;
  int64_t sent_ns = 0;
  friend bool operator==(const HopTrace&, const HopTrace&) = default;
};

struct SpikeFrame {
  RequestId request_id = 0;
  ModelRef model;
  OperatorId target;        // the operator this frame is addressed to
  std::string stage;        // the stage that should run it
  uint32_t attempt = 0;     // stamped by the sender per send: 1, 2, 3... (decisions/0002)
  int64_t deadline_ns = 0;  // wall clock, ns since the Unix epoch
  std::string reply_to;     // where the last stage sends the result
  std::string reply_key;    // CURVE public key of the reply_to socket (Z85); "" = plaintext
  std::vector<HopTrace> trace;
  // Spikes or dense values; its shape and T are the frame's shape and T.
  // REQUIRES for encoding: 1 <= T <= kMaxTimesteps, 1 <= numel <= kMaxNeurons (wire/limits.h).
  Tensor payload;
  friend bool operator==(const SpikeFrame&, const SpikeFrame&) = default;
};

}  // namespace spikeline::wire
