#include "cli/validate_command.h"

#include "topology/topology_loader.h"

namespace spikeline::cli {

int runValidate(const std::vector<std::string>& files, std::ostream& out) {
  int exit_code = kExitOk;
  for (const std::string& file : files) {
    topology::TopologyCheck check = topology::checkTopologyFile(file);
    if (check.isOk()) {
      const Topology& t = *check.topology;
      out << file << ": OK (" << t.model.toString() << ", " << t.operators.size()
          << (t.operators.size() == 1 ? " operator, " : " operators, ") << t.stages.size()
          << (t.stages.size() == 1 ? " stage)" : " stages)") << "\n";
      continue;
    }
    exit_code = kExitInvalid;
    for (const topology::Diagnostic& d : check.diagnostics) out << d.toString() << "\n";
  }
  return exit_code;
}

}  // namespace spikeline::cli
