#include "loadgen/arrival_schedule.h"

#include <cmath>
#include <string>

namespace spikeline::loadgen {

std::string_view phaseKindName(PhaseKind kind) {
  switch (kind) {
    case PhaseKind::kWarmup:
      return "warmup";
    case PhaseKind::kRamp:
      return "ramp";
    case PhaseKind::kSteady:
      return "steady";
  }
  return "unknown";
}

std::string_view arrivalProcessName(ArrivalProcess process) {
  return process == ArrivalProcess::kPoisson ? "poisson" : "constant";
}

Phase Phase::warmup(int64_t duration_ns, double rate_per_s) {
  return Phase{PhaseKind::kWarmup, duration_ns, rate_per_s, rate_per_s};
}
Phase Phase::ramp(int64_t duration_ns, double from_per_s, double to_per_s) {
  return Phase{PhaseKind::kRamp, duration_ns, from_per_s, to_per_s};
}
Phase Phase::steady(int64_t duration_ns, double rate_per_s) {
  return Phase{PhaseKind::kSteady, duration_ns, rate_per_s, rate_per_s};
}

Status validateSchedule(const ScheduleSpec& spec) {
  if (spec.phases.empty()) return invalidArgument("schedule: needs at least one phase");
  for (size_t i = 0; i < spec.phases.size(); ++i) {
    const Phase& p = spec.phases[i];
    const std::string where = "schedule: phases[" + std::to_string(i) + "]: ";
    if (p.duration_ns <= 0) return invalidArgument(where + "duration must be > 0");
    for (double r : {p.start_rate_per_s, p.end_rate_per_s}) {
      if (!std::isfinite(r) || r < 0) return invalidArgument(where + "rate must be finite, >= 0");
    }
    if (p.kind != PhaseKind::kRamp && p.start_rate_per_s != p.end_rate_per_s) {
      return invalidArgument(where + "only a ramp may change its rate");
    }
  }
  return Status::ok();
}

Result<ArrivalSchedule> ArrivalSchedule::make(ScheduleSpec spec) {
  SPIKELINE_RETURN_IF_ERROR(validateSchedule(spec));
  return ArrivalSchedule(std::move(spec));
}

ArrivalSchedule::ArrivalSchedule(ScheduleSpec spec) : spec_(std::move(spec)), rng_(spec_.seed) {}

int64_t ArrivalSchedule::totalDurationNs() const { return phaseStartNs(spec_.phases.size()); }

int64_t ArrivalSchedule::phaseStartNs(size_t i) const {
  int64_t start = 0;
  for (size_t k = 0; k < i; ++k) start += spec_.phases[k].duration_ns;
  return start;
}

// Integrated rate over [0, t] is r0*t + (r1 - r0)*t^2/(2D); solve it equal to `events`.
std::optional<double> ArrivalSchedule::solveInPhase(size_t p, double events) const {
  const Phase& phase = spec_.phases[p];
  const double d = static_cast<double>(phase.duration_ns) * 1e-9;
  const double b = phase.start_rate_per_s;
  const double a = (phase.end_rate_per_s - phase.start_rate_per_s) / (2.0 * d);
  double t = 0;
  if (events <= 0) {
    t = 0;
  } else if (std::abs(a) * d < 1e-12 * std::max(1.0, b)) {
    if (b <= 0) return std::nullopt;
    t = events / b;
  } else {
    const double disc = b * b + 4.0 * a * events;
    if (disc < 0) return std::nullopt;
    const double denom = b + std::sqrt(disc);
    if (denom <= 0) return std::nullopt;
    t = 2.0 * events / denom;  // the stable root of a*t^2 + b*t - events = 0
  }
  if (t >= d) return std::nullopt;
  return t;
}

std::optional<Arrival> ArrivalSchedule::next() {
  std::exponential_distribution<double> exp1(1.0);
  while (phase_ < spec_.phases.size()) {
    double target = phase_events_;
    if (spec_.process == ArrivalProcess::kPoisson) {
      target += exp1(rng_);
    } else if (target == 0 && spec_.phases[phase_].start_rate_per_s <= 0) {
      target = 1.0;  // a ramp from zero: nothing is due at its first instant
    }
    std::optional<double> t = solveInPhase(phase_, target);
    if (!t) {
      ++phase_;
      phase_events_ = 0;
      continue;
    }
    phase_events_ = spec_.process == ArrivalProcess::kPoisson ? target : target + 1.0;
    Arrival a;
    a.index = next_index_++;
    a.offset_ns = phaseStartNs(phase_) + static_cast<int64_t>(std::llround(*t * 1e9));
    a.phase = static_cast<uint32_t>(phase_);
    a.measured = spec_.phases[phase_].measured();
    return a;
  }
  return std::nullopt;
}

Result<std::vector<Arrival>> allArrivals(const ScheduleSpec& spec) {
  SPIKELINE_ASSIGN_OR_RETURN(ArrivalSchedule schedule, ArrivalSchedule::make(spec));
  std::vector<Arrival> out;
  while (std::optional<Arrival> a = schedule.next()) out.push_back(*a);
  return out;
}

}  // namespace spikeline::loadgen
