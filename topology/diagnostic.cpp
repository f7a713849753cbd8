#include "topology/diagnostic.h"

namespace spikeline::topology {

std::string Diagnostic::toString() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  out += ": ";
  if (!field.empty()) out += field + ": ";
  out += message;
  return out;
}

Status diagnosticsToStatus(const std::vector<Diagnostic>& diagnostics) {
  if (diagnostics.empty()) return Status::ok();
  std::string message;
  for (const Diagnostic& d : diagnostics) {
    if (!message.empty()) message += "\n";
    message += d.toString();
  }
  return invalidArgument(std::move(message));
}

}  // namespace spikeline::topology
