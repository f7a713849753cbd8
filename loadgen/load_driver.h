// LoadDriver: runs a load against a Target and measures it. Open loop: requests go out at the
// ArrivalSchedule's intended times whatever the Target does, and latency is measured from the
// INTENDED send time, so a stalled Target shows in the percentiles (no coordinated omission).
// Closed loop: a fixed number of requests in flight, latency from the actual send (the naive
// measurement; kept for comparison and for capacity probing). Borrows Target, Clock, Pacer and
// ActionSink. Thread safety: run*() on one thread (the sender thread); Target completions may
// arrive on any thread: they are stamped and queued under a mutex, and all bookkeeping happens
// on the sender thread. One run at a time.
#pragma once

#include <cstdint>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "loadgen/arrival_schedule.h"
#include "loadgen/pacer.h"
#include "loadgen/run_recorder.h"
#include "loadgen/run_report.h"
#include "loadgen/scenario_action.h"
#include "loadgen/target.h"

namespace spikeline::loadgen {

struct DriverOptions {
  RecorderOptions recorder;  // timeout, labels, histogram range
  // Fired on the sender thread at their at_ns, in time order; one still due when the last
  // reply is in is not fired (and not marked).
  std::vector<ScenarioAction> actions;
  ActionSink* action_sink = nullptr;  // may be null: actions are then marked, not executed
};

struct ClosedLoopSpec {
  uint32_t concurrency = 1;  // requests in flight. REQUIRES: >= 1.
  int64_t warmup_ns = 0;     // requests sent before this are not measured
  int64_t duration_ns = 0;   // measured time after the warm-up. REQUIRES: > 0.
};

class LoadDriver {
 public:
  LoadDriver(Target& target, const Clock& clock, Pacer& pacer, DriverOptions options);

  // Sends every arrival of `schedule`, then waits for outstanding replies until each request's
  // deadline. kInvalidArgument on bad options.
  Result<RunReport> runOpenLoop(ArrivalSchedule schedule);
  // Keeps spec.concurrency requests in flight for warmup + duration, then drains.
  Result<RunReport> runClosedLoop(const ClosedLoopSpec& spec);

 private:
  Status validate() const;

  Target& target_;
  const Clock& clock_;
  Pacer& pacer_;
  DriverOptions options_;
};

}  // namespace spikeline::loadgen
