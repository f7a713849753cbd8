#include "loadgen/scenario_action.h"

namespace spikeline::loadgen {

std::string_view actionKindName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kKillWorker:
      return "kill_worker";
    case ActionKind::kInjectChipFault:
      return "inject_chip_fault";
    case ActionKind::kRestartBroker:
      return "restart_broker";
  }
  return "unknown";
}

std::string ScenarioAction::describe() const {
  std::string out(actionKindName(kind));
  if (!worker.empty()) out += " " + worker;
  if (core) out += " core " + std::to_string(*core);
  return out;
}

}  // namespace spikeline::loadgen
