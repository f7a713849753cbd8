#include "cli/keygen_command.h"

#include "cli/validate_command.h"
#include "transport/curve.h"

namespace spikeline::cli {

int runKeygen(const KeygenCommand& c, std::ostream& out, std::ostream& err) {
  if (c.names.empty()) {
    err << "keygen: name at least one key (e.g. broker worker-1 gateway)\n";
    return kExitUsage;
  }
  for (const std::string& name : c.names) {
    auto keys = transport::generateCurveKeyPair();
    if (!keys) {
      err << keys.status().message() << "\n";
      return kExitInvalid;
    }
    Status written = transport::writeCurveKeyFiles(c.dir, name, *keys);
    if (!written.isOk()) {
      err << "keygen: " << written.message() << "\n";
      return written.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitInvalid;
    }
    out << name << " " << keys->public_key << "\n";
  }
  return kExitOk;
}

}  // namespace spikeline::cli
