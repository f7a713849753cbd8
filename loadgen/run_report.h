// RunReport: everything one load run measured, as plain values (summary counters, latency
// percentiles, errors by kind, accuracy, a per-second timeline, the fault marks). Produced by
// LoadDriver, written by report_writer.h and plot.h. A value type. Thread safety: none needed.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/target.h"

namespace spikeline::loadgen {

struct LatencySummary {
  uint64_t count = 0;
  int64_t min_ns = 0;
  int64_t p50_ns = 0;
  int64_t p90_ns = 0;
  int64_t p99_ns = 0;
  int64_t p999_ns = 0;
  int64_t max_ns = 0;
  double mean_ns = 0;
  uint64_t saturated = 0;  // values above the histogram's range, recorded as its top
};

// One second of the run, by the time things happened (sends by send time, replies by arrival).
struct TimelineRow {
  uint32_t second = 0;
  uint64_t sent = 0;
  uint64_t completed = 0;  // ok replies
  uint64_t errors = 0;     // error replies
  uint64_t lost = 0;       // requests declared lost in this second
  int64_t p50_ns = 0;      // latency of this second's ok replies; 0 when none
  int64_t p99_ns = 0;
  int64_t max_ns = 0;
};

// An action fired during the run.
struct FaultMark {
  double at_s = 0;  // when it fired, from the start of the run
  std::string label;
  std::string status;  // "ok" or the error
};

struct RunReport {
  std::string mode;  // "open" or "closed"
  // Counters cover measured requests only (warm-up excluded).
  uint64_t sent = 0;
  uint64_t completed = 0;   // ok replies (first reply only)
  uint64_t lost = 0;        // no reply by intended send + request timeout
  uint64_t duplicates = 0;  // replies after the first for the same request
  uint64_t late = 0;        // replies that came after the request was declared lost
  std::array<uint64_t, kOutcomeCount> errors_by_kind{};  // indexed by Outcome; [kOk] unused
  uint64_t warmup_sent = 0;
  uint64_t unknown_replies = 0;  // replies for a request index never sent
  double duration_s = 0;         // first measured intended send to last measured event
  double send_rate_rps = 0;      // sent / duration_s
  double throughput_rps = 0;     // completed / duration_s
  int64_t max_send_lag_ns = 0;   // worst (actual - intended) send time
  LatencySummary latency;        // of ok replies, from the intended send time
  uint64_t labelled = 0;         // ok replies with a prediction and a known label
  uint64_t correct = 0;
  std::vector<TimelineRow> timeline;
  std::vector<FaultMark> faults;

  uint64_t errorCount() const;
  // correct / labelled; nullopt when nothing was labelled.
  std::optional<double> accuracy() const;
};

}  // namespace spikeline::loadgen
