// HopEvent: what a sender-side group (HopGroup, ReplyGroup) tells its owner after reading acks
// and timers: a frame was received downstream, released (custody ended) or failed for good.
// A value type. Thread safety: as a value.
#pragma once

#include "core/ids.h"
#include "core/status.h"

namespace spikeline::workers {

struct HopEvent {
  enum class Kind : uint8_t {
    kReceived = 0,  // the next hop took the frame (first `received` of any attempt)
    kReleased = 1,  // custody ended (`handed-on`)
    kFailed = 2,    // no more attempts, past deadline, or a permanent nack: `error` says which
  };
  Kind kind = Kind::kReleased;
  RequestId request_id = 0;
  Status error;
};

}  // namespace spikeline::workers
