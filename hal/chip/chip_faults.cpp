#include "hal/chip/chip_faults.h"

namespace spikeline::hal {

Status ChipFaults::inject(const ChipFault& fault) {
  State s{fault.duration, fault.duration == FaultDuration::kTransient ? fault.failing_runs : 0u};
  if (fault.target.scope == FaultScope::kChip) {
    chip_ = s;
    return Status::ok();
  }
  if (fault.target.core >= config_.num_cores) {
    return invalidArgument("chip " + config_.name + " has no core " +
                           std::to_string(fault.target.core) + " (it has " +
                           std::to_string(config_.num_cores) + ")");
  }
  cores_[fault.target.core] = s;
  return Status::ok();
}

Status ChipFaults::clear(const FaultTarget& target) {
  if (target.scope == FaultScope::kChip) {
    chip_.reset();
    return Status::ok();
  }
  if (target.core >= config_.num_cores) {
    return invalidArgument("chip " + config_.name + " has no core " + std::to_string(target.core));
  }
  cores_.erase(target.core);
  return Status::ok();
}

void ChipFaults::clearAll() {
  chip_.reset();
  cores_.clear();
}

std::vector<uint32_t> ChipFaults::failedCores() const {
  std::vector<uint32_t> out;
  out.reserve(cores_.size());
  for (const auto& [core, state] : cores_) out.push_back(core);
  return out;
}

std::string ChipFaults::what(const State& s) {
  if (s.duration == FaultDuration::kPermanent) return "injected, permanent";
  if (s.runs_left == 0) return "injected, transient until cleared";
  return "injected, transient: fails " + std::to_string(s.runs_left) + " more run" +
         (s.runs_left == 1 ? "" : "s");
}

std::string ChipFaults::whatAfterRun(const State& before) {
  if (before.duration != FaultDuration::kTransient || before.runs_left == 0) return what(before);
  const uint32_t left = before.runs_left - 1;
  if (left == 0) return "injected, transient: heals after this run";
  return what(State{FaultDuration::kTransient, left});
}

bool ChipFaults::consume(State& s) {
  if (s.duration != FaultDuration::kTransient || s.runs_left == 0) return false;
  return --s.runs_left == 0;
}

Status ChipFaults::checkChip() const {
  if (!chip_) return Status::ok();
  return unavailable("chip " + config_.name + " failed (" + what(*chip_) + ")");
}

Status ChipFaults::checkCore(uint32_t core) const {
  auto it = cores_.find(core);
  if (it == cores_.end()) return Status::ok();
  return unavailable("chip core " + std::to_string(core) + " failed (" + what(it->second) +
                     ") on chip " + config_.name);
}

Status ChipFaults::consumeForRun(const ChipPlacement& placement) {
  const std::string op = ": operator '" + placement.operator_name + "' cannot run";
  if (chip_) {
    Status s = unavailable("chip " + config_.name + " failed (" + whatAfterRun(*chip_) + ")" + op);
    if (consume(*chip_)) chip_.reset();
    return s;
  }
  Status first;
  for (const CoreSlice& slice : placement.slices) {
    auto it = cores_.find(slice.core);
    if (it == cores_.end()) continue;
    if (first.isOk()) {
      first = unavailable("chip core " + std::to_string(slice.core) + " failed (" +
                          whatAfterRun(it->second) + ") on chip " + config_.name + op);
    }
    if (consume(it->second)) cores_.erase(it);
  }
  return first;
}

std::string ChipFaults::describe() const {
  std::string out;
  if (chip_) out = "chip " + config_.name + " failed (" + what(*chip_) + ")";
  for (const auto& [core, state] : cores_) {
    out += (out.empty() ? "chip " + config_.name + ": " : "; ");
    out += "core " + std::to_string(core) + " failed (" + what(state) + ")";
  }
  if (!cores_.empty()) {
    out += "; " + std::to_string(config_.num_cores - cores_.size()) + " of " +
           std::to_string(config_.num_cores) + " cores healthy";
  }
  return out;
}

}  // namespace spikeline::hal
