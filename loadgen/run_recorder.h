// RunRecorder: the bookkeeping of one run: which requests are in flight, which were answered
// (to spot duplicates), which passed their deadline unanswered (lost), latency histograms
// (whole run and per second), errors by kind, accuracy. Internal to loadgen/ (LoadDriver).
// Owns its state. Thread safety: none; only the driver's sender thread calls it.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "loadgen/latency_histogram.h"
#include "loadgen/run_report.h"
#include "loadgen/target.h"

namespace spikeline::loadgen {

struct RecorderOptions {
  int64_t request_timeout_ns = 10'000'000'000;  // Default: 10 s.
  std::vector<uint8_t> labels;  // label of request i is labels[i % size]; empty: none known
  HistogramOptions histogram;   // Default: 1 ns .. 1 h, 3 digits.
};

class RunRecorder {
 public:
  // `start_ns`: the run's time zero on the driver's Clock. REQUIRES: options validated.
  RunRecorder(int64_t start_ns, const RecorderOptions& options);

  // REQUIRES: index == number of earlier onSent calls (requests are numbered densely).
  void onSent(uint64_t index, int64_t intended_ns, int64_t sent_ns, bool measured);
  // A reply that arrived at `at_ns`. Any index is accepted (unknown ones are counted).
  void onReply(const Completion& completion, int64_t at_ns);
  // Declares lost every in-flight request whose deadline is <= now_ns.
  void expireOverdue(int64_t now_ns);
  uint64_t inFlight() const { return in_flight_; }
  // Deadline of the oldest in-flight request; nullopt when none is in flight.
  std::optional<int64_t> nextDeadlineNs() const;
  void addFault(FaultMark mark) { faults_.push_back(std::move(mark)); }
  // Declares every request still in flight lost (at `end_ns`) and builds the report.
  RunReport finish(int64_t end_ns, std::string mode);

 private:
  struct Slot {
    int64_t intended_ns = 0;
    bool measured = false;
    bool pending = true;
  };
  static bool testBit(const std::vector<uint64_t>& bits, uint64_t i) {
    return (bits[i >> 6] >> (i & 63)) & 1u;
  }
  static void setBit(std::vector<uint64_t>& bits, uint64_t i) {
    bits[i >> 6] |= uint64_t{1} << (i & 63);
  }
  TimelineRow& rowAt(int64_t at_ns);
  void recordTimelineLatency(int64_t at_ns, int64_t latency_ns);
  void closeSecond();
  void firstReply(const Slot& slot, const Completion& c, int64_t at_ns);
  void popSettled();

  int64_t start_ns_;
  RecorderOptions options_;
  std::deque<Slot> window_;  // requests base_index_.. in send order
  uint64_t base_index_ = 0;
  uint64_t next_index_ = 0;
  uint64_t in_flight_ = 0;
  std::vector<uint64_t> answered_;  // bit per request: got a first reply
  std::vector<uint64_t> measured_;  // bit per request: outside warm-up
  LatencyHistogram latency_;
  LatencyHistogram second_latency_;  // ok replies of timeline second current_second_
  int64_t current_second_ = 0;
  std::vector<TimelineRow> timeline_;
  std::vector<FaultMark> faults_;
  RunReport counts_;  // counters accumulated as we go
  std::optional<int64_t> first_measured_ns_;
  int64_t last_measured_event_ns_ = 0;
};

}  // namespace spikeline::loadgen
