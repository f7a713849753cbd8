#include "cli/probe_command.h"

#include "cli/validate_command.h"
#include "metrics/probe_server.h"

namespace spikeline::cli {

int runProbe(const ProbeCommand& c, std::ostream& out, std::ostream& err) {
  auto answer = metrics::fetchProbe(c.address, c.path, c.timeout_ms);
  if (!answer.isOk()) {
    err << "probe: " << answer.status().message() << "\n";
    return answer.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitInvalid;
  }
  out << answer->body;
  if (!answer->body.empty() && answer->body.back() != '\n') out << "\n";
  if (answer->status >= 200 && answer->status < 300) return kExitOk;
  err << "probe: http://" << c.address << c.path << " answered " << answer->status << "\n";
  return kExitInvalid;
}

}  // namespace spikeline::cli
