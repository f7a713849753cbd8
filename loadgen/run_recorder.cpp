#include "loadgen/run_recorder.h"

#include <algorithm>
#include <utility>

namespace spikeline::loadgen {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;

LatencyHistogram makeHistogram(const HistogramOptions& options) {
  Result<LatencyHistogram> h = LatencyHistogram::make(options);
  return h.isOk() ? std::move(h).value() : LatencyHistogram();
}

LatencySummary summarise(const LatencyHistogram& h) {
  LatencySummary s;
  s.count = h.count();
  s.min_ns = h.min();
  s.p50_ns = h.valueAtPercentile(50);
  s.p90_ns = h.valueAtPercentile(90);
  s.p99_ns = h.valueAtPercentile(99);
  s.p999_ns = h.valueAtPercentile(99.9);
  s.max_ns = h.max();
  s.mean_ns = h.mean();
  s.saturated = h.saturatedCount();
  return s;
}

}  // namespace

RunRecorder::RunRecorder(int64_t start_ns, const RecorderOptions& options)
    : start_ns_(start_ns),
      options_(options),
      latency_(makeHistogram(options.histogram)),
      second_latency_(makeHistogram(options.histogram)) {}

TimelineRow& RunRecorder::rowAt(int64_t at_ns) {
  const int64_t second = std::max<int64_t>(0, (at_ns - start_ns_) / kNsPerSecond);
  while (static_cast<int64_t>(timeline_.size()) <= second) {
    TimelineRow row;
    row.second = static_cast<uint32_t>(timeline_.size());
    timeline_.push_back(row);
  }
  return timeline_[static_cast<size_t>(second)];
}

void RunRecorder::closeSecond() {
  if (second_latency_.count() == 0) return;
  TimelineRow& row = timeline_[static_cast<size_t>(current_second_)];
  row.p50_ns = second_latency_.valueAtPercentile(50);
  row.p99_ns = second_latency_.valueAtPercentile(99);
  row.max_ns = second_latency_.max();
  second_latency_.reset();
}

// Replies come in (nearly) time order; one that is a little older than the open second is
// attributed to the open second, so a single histogram suffices.
void RunRecorder::recordTimelineLatency(int64_t at_ns, int64_t latency_ns) {
  const int64_t second = static_cast<int64_t>(rowAt(at_ns).second);
  if (second > current_second_) {
    closeSecond();
    current_second_ = second;
  }
  second_latency_.record(latency_ns);
}

void RunRecorder::onSent(uint64_t index, int64_t intended_ns, int64_t sent_ns, bool measured) {
  (void)index;  // equal to next_index_ by contract
  window_.push_back(Slot{intended_ns, measured, true});
  if ((next_index_ & 63) == 0) {
    answered_.push_back(0);
    measured_.push_back(0);
  }
  if (measured) setBit(measured_, next_index_);
  ++next_index_;
  ++in_flight_;
  rowAt(sent_ns).sent++;
  if (!measured) {
    counts_.warmup_sent++;
    return;
  }
  counts_.sent++;
  if (!first_measured_ns_) first_measured_ns_ = intended_ns;
  last_measured_event_ns_ = std::max(last_measured_event_ns_, sent_ns);
  counts_.max_send_lag_ns = std::max(counts_.max_send_lag_ns, sent_ns - intended_ns);
}

void RunRecorder::firstReply(const Slot& slot, const Completion& c, int64_t at_ns) {
  TimelineRow& row = rowAt(at_ns);
  const int64_t latency_ns = at_ns - slot.intended_ns;
  if (c.outcome == Outcome::kOk) {
    row.completed++;
    recordTimelineLatency(at_ns, latency_ns);
  } else {
    row.errors++;
  }
  if (!slot.measured) return;
  last_measured_event_ns_ = std::max(last_measured_event_ns_, at_ns);
  if (c.outcome != Outcome::kOk) {
    counts_.errors_by_kind[static_cast<size_t>(c.outcome)]++;
    return;
  }
  counts_.completed++;
  latency_.record(latency_ns);
  if (!options_.labels.empty() && c.predicted_class >= 0) {
    const uint8_t label = options_.labels[c.request_index % options_.labels.size()];
    counts_.labelled++;
    if (c.predicted_class == static_cast<int32_t>(label)) counts_.correct++;
  }
}

void RunRecorder::onReply(const Completion& c, int64_t at_ns) {
  const uint64_t i = c.request_index;
  if (i >= next_index_) {
    counts_.unknown_replies++;
    return;
  }
  const bool measured = testBit(measured_, i);
  if (testBit(answered_, i)) {
    if (measured) counts_.duplicates++;
    return;
  }
  if (i < base_index_ || !window_[i - base_index_].pending) {
    if (measured) counts_.late++;  // lost already; the late reply does not count as a result
    return;
  }
  Slot& slot = window_[i - base_index_];
  slot.pending = false;
  setBit(answered_, i);
  --in_flight_;
  firstReply(slot, c, at_ns);
  popSettled();
}

void RunRecorder::popSettled() {
  while (!window_.empty() && !window_.front().pending) {
    window_.pop_front();
    ++base_index_;
  }
}

void RunRecorder::expireOverdue(int64_t now_ns) {
  while (!window_.empty()) {
    Slot& front = window_.front();
    if (front.pending) {
      if (front.intended_ns + options_.request_timeout_ns > now_ns) break;
      front.pending = false;
      --in_flight_;
      rowAt(now_ns).lost++;
      if (front.measured) {
        counts_.lost++;
        last_measured_event_ns_ = std::max(last_measured_event_ns_, now_ns);
      }
    }
    window_.pop_front();
    ++base_index_;
  }
}

std::optional<int64_t> RunRecorder::nextDeadlineNs() const {
  if (window_.empty()) return std::nullopt;
  return window_.front().intended_ns + options_.request_timeout_ns;
}

RunReport RunRecorder::finish(int64_t end_ns, std::string mode) {
  for (Slot& slot : window_) {
    if (!slot.pending) continue;
    slot.pending = false;
    rowAt(end_ns).lost++;
    if (slot.measured) {
      counts_.lost++;
      last_measured_event_ns_ = std::max(last_measured_event_ns_, end_ns);
    }
  }
  in_flight_ = 0;
  base_index_ += window_.size();
  window_.clear();
  closeSecond();
  RunReport r = std::move(counts_);
  r.mode = std::move(mode);
  if (first_measured_ns_) {
    r.duration_s = static_cast<double>(last_measured_event_ns_ - *first_measured_ns_) * 1e-9;
  }
  if (r.duration_s > 0) {
    r.send_rate_rps = static_cast<double>(r.sent) / r.duration_s;
    r.throughput_rps = static_cast<double>(r.completed) / r.duration_s;
  }
  r.latency = summarise(latency_);
  r.timeline = std::move(timeline_);
  r.faults = std::move(faults_);
  return r;
}

}  // namespace spikeline::loadgen
