// Target: what the LoadDriver sends requests to (the data-plane client, or a fake), and
// CompletionSink: where a Target reports each request's outcome. The driver owns the sink and
// borrows the Target. Thread safety: submit() is called from the driver's one sender thread;
// CompletionSink::complete() may be called from any thread, also from inside submit().
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "core/status.h"

namespace spikeline::loadgen {

// How one request ended. Every error kind is counted separately in the report.
enum class Outcome : uint8_t {
  kOk,
  kOverloaded,   // backpressure reached the client
  kDeadline,     // the system gave up: deadline exceeded
  kUnavailable,  // no healthy replica
  kInvalid,      // the request was rejected as malformed
  kOther,
};
inline constexpr int kOutcomeCount = 6;
// "ok", "overloaded", "deadline", "unavailable", "invalid", "other".
std::string_view outcomeName(Outcome outcome);
// The outcome a failed Status maps to (kOk for ok).
Outcome outcomeFromStatus(const Status& status);

struct Completion {
  uint64_t request_index = 0;
  Outcome outcome = Outcome::kOk;
  int32_t predicted_class = -1;  // result payload: the predicted class, -1 when none
};

class CompletionSink {
 public:
  virtual ~CompletionSink() = default;
  // Thread-safe, non-blocking. May be called more than once per request (counted as duplicate).
  virtual void complete(const Completion& completion) = 0;
};

class Target {
 public:
  virtual ~Target() = default;
  // Starts request `request_index` (dense, increasing from 0). `intended_send_ns` is on the
  // driver's Clock. The outcome goes to `sink` (borrowed until the driver's run returns) at most
  // once ideally; a Target that never answers makes the request count as lost.
  virtual void submit(uint64_t request_index, int64_t intended_send_ns, CompletionSink& sink) = 0;
};

// Answers every request at once, inline, with kOk and no payload (for send-capacity figures).
std::unique_ptr<Target> makeNullTarget();

}  // namespace spikeline::loadgen
