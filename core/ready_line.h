// ReadyLine: the one machine-readable line a spikeline daemon prints on stdout once it listens,
// "READY key=endpoint key=endpoint ...", naming every endpoint it actually bound (so a daemon
// started on port 0 tells its harness or supervisor the port it got). Keys in use: broker
// control/routes/metrics; worker data/metrics; gateway http/grpc/metrics. A value names an
// endpoint and never holds a space. Values only; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace spikeline {

struct ReadyLine {
  std::vector<std::pair<std::string, std::string>> endpoints;  // in the order announced

  // The value of `key`; "" when absent.
  std::string find(std::string_view key) const;
  // "READY k=v k=v" without a newline. REQUIRES: keys and values without spaces or '='s in keys.
  std::string format() const;
};

// Parses one line (a trailing "\r\n" or "\n" is ignored). kInvalidArgument naming what is wrong
// when it is not "READY" followed by one or more key=value words.
Result<ReadyLine> parseReadyLine(std::string_view line);

}  // namespace spikeline
