// ScenarioAction: one fault to cause at a time during a run (kill a worker, fail a chip or one
// of its cores, restart the broker), and ActionSink: who carries it out. The driver fires each
// action on its sender thread when its time comes and marks it in the report; the wiring to
// real processes lives with the CLI. A value type / an interface borrowed by the driver.
// Thread safety: ActionSink::execute() is called from the driver's sender thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace spikeline::loadgen {

enum class ActionKind : uint8_t {
  kKillWorker,       // worker: which one
  kInjectChipFault,  // worker: the chip's worker; core: one core, or the whole chip when absent
  kRestartBroker,
};
// "kill_worker", "inject_chip_fault", "restart_broker" (the YAML spelling).
std::string_view actionKindName(ActionKind kind);

struct ScenarioAction {
  int64_t at_ns = 0;  // from the start of the run
  ActionKind kind = ActionKind::kKillWorker;
  std::string worker;
  std::optional<uint32_t> core;
  uint32_t line = 0;  // 1-based line in the scenario file; 0 when built in code
  // e.g. "kill_worker chip-0", "inject_chip_fault chip-1 core 3", "restart_broker".
  std::string describe() const;
  friend bool operator==(const ScenarioAction&, const ScenarioAction&) = default;
};

class ActionSink {
 public:
  virtual ~ActionSink() = default;
  // Carries out `action`; should return within milliseconds (it delays sending while it runs).
  virtual Status execute(const ScenarioAction& action) = 0;
};

}  // namespace spikeline::loadgen
