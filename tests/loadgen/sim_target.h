// A discrete-event simulation for LoadDriver tests: SimWorld holds timed events on a FakeClock,
// SimPacer lets the driver "wait" by running those events in time order (virtual time, so runs
// of many simulated seconds take milliseconds and are exactly reproducible), and SimTarget
// answers requests after a service time, with an optional stall window and per-request quirks.
// Header-only; for tests only. Thread safety: single-threaded by design.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <utility>

#include "loadgen/pacer.h"
#include "loadgen/target.h"
#include "tests/support/fake_clock.h"

namespace spikeline::loadgen::testing {

class SimWorld {
 public:
  explicit SimWorld(spikeline::testing::FakeClock& clock) : clock_(clock) {}
  int64_t now() const { return clock_.monotonicNs(); }
  void at(int64_t at_ns, std::function<void()> fn) {
    events_.emplace(std::make_pair(at_ns, seq_++), std::move(fn));
  }
  // Runs the earliest events if due by deadline_ns (advancing the clock to them); otherwise
  // advances the clock to deadline_ns.
  void advanceTowards(int64_t deadline_ns) {
    if (!events_.empty() && events_.begin()->first.first <= deadline_ns) {
      const int64_t t = events_.begin()->first.first;
      moveTo(t);
      while (!events_.empty() && events_.begin()->first.first == t) {
        auto fn = std::move(events_.begin()->second);
        events_.erase(events_.begin());
        fn();
      }
      return;
    }
    moveTo(deadline_ns);
  }

 private:
  void moveTo(int64_t t) {
    if (t > now()) clock_.advanceNs(t - now());
  }
  spikeline::testing::FakeClock& clock_;
  std::map<std::pair<int64_t, uint64_t>, std::function<void()>> events_;
  uint64_t seq_ = 0;
};

class SimPacer final : public Pacer {
 public:
  explicit SimPacer(SimWorld& world) : world_(world) {}
  void waitUntil(int64_t deadline_ns) override { world_.advanceTowards(deadline_ns); }
  void wake() override {}

 private:
  SimWorld& world_;
};

// How SimTarget answers one request.
struct SimReply {
  Outcome outcome = Outcome::kOk;
  int32_t predicted_class = -1;
  int copies = 1;              // 0: never answers (lost); 2: a duplicate
  int64_t extra_delay_ns = 0;  // on top of the service time
};

class SimTarget final : public Target {
 public:
  SimTarget(SimWorld& world, int64_t service_ns) : world_(world), service_ns_(service_ns) {}
  // Replies due inside [start, end) are held until `end` (the target stops answering).
  void stall(int64_t start_ns, int64_t end_ns) {
    stall_start_ns_ = start_ns;
    stall_end_ns_ = end_ns;
  }
  void setPolicy(std::function<SimReply(uint64_t)> policy) { policy_ = std::move(policy); }
  uint64_t maxInFlight() const { return max_in_flight_; }

  void submit(uint64_t index, int64_t, CompletionSink& sink) override {
    const SimReply reply = policy_ ? policy_(index) : SimReply{};
    int64_t done = world_.now() + service_ns_ + reply.extra_delay_ns;
    if (done >= stall_start_ns_ && done < stall_end_ns_) done = stall_end_ns_;
    max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
    for (int c = 0; c < reply.copies; ++c) {
      world_.at(done + c, [this, &sink, index, reply, c] {
        if (c == 0) --in_flight_;
        sink.complete(Completion{index, reply.outcome, reply.predicted_class});
      });
    }
    if (reply.copies == 0) --in_flight_;
  }

 private:
  SimWorld& world_;
  int64_t service_ns_;
  int64_t stall_start_ns_ = 0;
  int64_t stall_end_ns_ = 0;
  std::function<SimReply(uint64_t)> policy_;
  uint64_t in_flight_ = 0;
  uint64_t max_in_flight_ = 0;
};

}  // namespace spikeline::loadgen::testing
