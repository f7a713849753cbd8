#include "loadgen/load_driver.h"

#include <algorithm>
#include <limits>
#include <mutex>
#include <utility>

namespace spikeline::loadgen {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// The CompletionSink handed to the Target: stamps each reply with the Clock on the calling
// thread, queues it under a mutex and wakes the sender thread.
class ReplyQueue final : public CompletionSink {
 public:
  ReplyQueue(const Clock& clock, Pacer& pacer) : clock_(clock), pacer_(pacer) {}

  void complete(const Completion& completion) override {
    const int64_t at_ns = clock_.monotonicNs();
    {
      std::lock_guard<std::mutex> lock(mu_);
      replies_.push_back(Stamped{completion, at_ns});
    }
    pacer_.wake();
  }

  // Hands every queued reply to `recorder`, in arrival order.
  void drainInto(RunRecorder& recorder) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::swap(replies_, taken_);
    }
    for (const Stamped& s : taken_) recorder.onReply(s.completion, s.at_ns);
    taken_.clear();
  }

 private:
  struct Stamped {
    Completion completion;
    int64_t at_ns;
  };
  const Clock& clock_;
  Pacer& pacer_;
  std::mutex mu_;
  std::vector<Stamped> replies_;  // guarded by mu_
  std::vector<Stamped> taken_;    // sender thread only
};

// Fires scenario actions when their time comes and marks them in the report.
class ActionClock {
 public:
  ActionClock(std::vector<ScenarioAction> actions, ActionSink* sink, int64_t start_ns)
      : actions_(std::move(actions)), sink_(sink), start_ns_(start_ns) {
    std::stable_sort(
        actions_.begin(), actions_.end(),
        [](const ScenarioAction& a, const ScenarioAction& b) { return a.at_ns < b.at_ns; });
  }
  int64_t nextAtNs() const {
    return next_ < actions_.size() ? start_ns_ + actions_[next_].at_ns : kNever;
  }
  void fireDue(int64_t now_ns, RunRecorder& recorder) {
    while (next_ < actions_.size() && start_ns_ + actions_[next_].at_ns <= now_ns) {
      const ScenarioAction& a = actions_[next_++];
      Status s = sink_ ? sink_->execute(a) : unimplemented("no action sink");
      recorder.addFault(
          FaultMark{static_cast<double>(now_ns - start_ns_) * 1e-9, a.describe(), s.toString()});
    }
  }

 private:
  std::vector<ScenarioAction> actions_;
  ActionSink* sink_;
  int64_t start_ns_;
  size_t next_ = 0;
};

// Waits for the replies still outstanding, up to each request's deadline.
void drainOutstanding(const Clock& clock, Pacer& pacer, ReplyQueue& replies, RunRecorder& recorder,
                      ActionClock& actions) {
  while (true) {
    const int64_t now = clock.monotonicNs();
    replies.drainInto(recorder);
    recorder.expireOverdue(now);
    actions.fireDue(now, recorder);
    if (recorder.inFlight() == 0) return;
    pacer.waitUntil(std::min(recorder.nextDeadlineNs().value_or(now), actions.nextAtNs()));
  }
}

}  // namespace

LoadDriver::LoadDriver(Target& target, const Clock& clock, Pacer& pacer, DriverOptions options)
    : target_(target), clock_(clock), pacer_(pacer), options_(std::move(options)) {}

Status LoadDriver::validate() const {
  if (options_.recorder.request_timeout_ns <= 0) {
    return invalidArgument("driver: request_timeout_ns must be > 0");
  }
  Result<LatencyHistogram> h = LatencyHistogram::make(options_.recorder.histogram);
  return h.isOk() ? Status::ok() : h.status();
}

Result<RunReport> LoadDriver::runOpenLoop(ArrivalSchedule schedule) {
  SPIKELINE_RETURN_IF_ERROR(validate());
  const int64_t start = clock_.monotonicNs();
  RunRecorder recorder(start, options_.recorder);
  ReplyQueue replies(clock_, pacer_);
  ActionClock actions(options_.actions, options_.action_sink, start);
  std::optional<Arrival> next = schedule.next();
  while (next) {
    const int64_t due = start + next->offset_ns;
    const int64_t now = clock_.monotonicNs();
    replies.drainInto(recorder);
    recorder.expireOverdue(now);
    actions.fireDue(now, recorder);
    if (now < due) {
      pacer_.waitUntil(std::min(due, actions.nextAtNs()));
      continue;
    }
    recorder.onSent(next->index, due, now, next->measured);
    target_.submit(next->index, due, replies);
    next = schedule.next();
  }
  drainOutstanding(clock_, pacer_, replies, recorder, actions);
  return recorder.finish(clock_.monotonicNs(), "open");
}

Result<RunReport> LoadDriver::runClosedLoop(const ClosedLoopSpec& spec) {
  SPIKELINE_RETURN_IF_ERROR(validate());
  if (spec.concurrency == 0) return invalidArgument("closed loop: concurrency must be >= 1");
  if (spec.duration_ns <= 0 || spec.warmup_ns < 0) {
    return invalidArgument("closed loop: duration must be > 0 and warm-up >= 0");
  }
  const int64_t start = clock_.monotonicNs();
  const int64_t measure_from = start + spec.warmup_ns;
  const int64_t end = measure_from + spec.duration_ns;
  RunRecorder recorder(start, options_.recorder);
  ReplyQueue replies(clock_, pacer_);
  ActionClock actions(options_.actions, options_.action_sink, start);
  uint64_t index = 0;
  while (true) {
    const int64_t now = clock_.monotonicNs();
    replies.drainInto(recorder);
    recorder.expireOverdue(now);
    actions.fireDue(now, recorder);
    if (now >= end) break;
    if (recorder.inFlight() < spec.concurrency) {
      recorder.onSent(index, now, now, now >= measure_from);
      target_.submit(index++, now, replies);
      continue;
    }
    const int64_t deadline = recorder.nextDeadlineNs().value_or(end);
    pacer_.waitUntil(std::min({end, deadline, actions.nextAtNs()}));
  }
  drainOutstanding(clock_, pacer_, replies, recorder, actions);
  return recorder.finish(clock_.monotonicNs(), "closed");
}

}  // namespace spikeline::loadgen
