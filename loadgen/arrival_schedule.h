// ArrivalSchedule: the intended send times of an open-loop run, generated lazily from a list of
// phases (warm-up, linear ramp, steady) with constant or Poisson arrivals. Pure and seeded: the
// same spec yields the same times. A value type. Thread safety: not thread-safe (next() mutates).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace spikeline::loadgen {

enum class PhaseKind : uint8_t {
  kWarmup,  // sent but excluded from the statistics
  kRamp,    // rate moves linearly from start_rate_per_s to end_rate_per_s
  kSteady,  // constant rate (start_rate_per_s)
};
std::string_view phaseKindName(PhaseKind kind);  // "warmup", "ramp", "steady"

struct Phase {
  PhaseKind kind = PhaseKind::kSteady;
  int64_t duration_ns = 0;
  double start_rate_per_s = 0;  // requests per second at the start of the phase
  double end_rate_per_s = 0;    // at its end; equal to start_rate_per_s unless kRamp

  static Phase warmup(int64_t duration_ns, double rate_per_s);
  static Phase ramp(int64_t duration_ns, double from_per_s, double to_per_s);
  static Phase steady(int64_t duration_ns, double rate_per_s);
  bool measured() const { return kind != PhaseKind::kWarmup; }
  friend bool operator==(const Phase&, const Phase&) = default;
};

enum class ArrivalProcess : uint8_t { kConstant, kPoisson };
std::string_view arrivalProcessName(ArrivalProcess process);  // "constant", "poisson"

struct ScheduleSpec {
  std::vector<Phase> phases;
  ArrivalProcess process = ArrivalProcess::kConstant;
  uint64_t seed = 1;  // used by kPoisson
  friend bool operator==(const ScheduleSpec&, const ScheduleSpec&) = default;
};

// One intended send: offset from the start of the run, and the phase it belongs to.
struct Arrival {
  uint64_t index = 0;     // 0, 1, 2, ... in send order
  int64_t offset_ns = 0;  // non-decreasing
  uint32_t phase = 0;     // index into ScheduleSpec::phases
  bool measured = true;   // false during warm-up
  friend bool operator==(const Arrival&, const Arrival&) = default;
};

// Validates a spec: at least one phase; durations > 0; rates finite and >= 0.
Status validateSchedule(const ScheduleSpec& spec);

class ArrivalSchedule {
 public:
  // kInvalidArgument when validateSchedule fails.
  static Result<ArrivalSchedule> make(ScheduleSpec spec);

  // The next arrival, or nullopt once every phase has ended.
  std::optional<Arrival> next();
  // Sum of the phase durations.
  int64_t totalDurationNs() const;
  // Offset at which phase i starts. REQUIRES: i <= phases().size().
  int64_t phaseStartNs(size_t i) const;
  const ScheduleSpec& spec() const { return spec_; }

 private:
  explicit ArrivalSchedule(ScheduleSpec spec);
  // Seconds into phase `p` at which the integrated rate reaches `events`; nullopt past its end.
  std::optional<double> solveInPhase(size_t p, double events) const;

  ScheduleSpec spec_;
  std::mt19937_64 rng_;
  size_t phase_ = 0;
  double phase_events_ = 0;  // integrated-rate target of the next arrival within phase_
  uint64_t next_index_ = 0;
};

// Every arrival of `spec` at once (for tests and short runs). kInvalidArgument as make().
Result<std::vector<Arrival>> allArrivals(const ScheduleSpec& spec);

}  // namespace spikeline::loadgen
