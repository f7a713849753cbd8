// `spikeline probe HOST:PORT [--path /ready] [--timeout-ms N]`: one HTTP GET of a process's
// probe endpoint (a worker's or the broker's `--metrics`, the gateway's `/v2/health/ready`),
// for container healthchecks in images that carry no HTTP client. Prints the body; exit 0 on a
// 2xx answer, 1 on any other answer or none (the reason on `err`).
// Thread safety: as the streams.
#pragma once

#include <ostream>
#include <string>

namespace spikeline::cli {

struct ProbeCommand {
  std::string address;  // HOST:PORT
  std::string path = "/ready";
  int timeout_ms = 2000;
};

int runProbe(const ProbeCommand& c, std::ostream& out, std::ostream& err);

}  // namespace spikeline::cli
