// ProbeServer: the small HTTP endpoint of `--metrics HOST:PORT` on the broker and the workers
// (issue 12): GET /metrics (Prometheus text), GET /live (200 while the process serves HTTP) and
// GET /ready (200, or 503 with the reason), for container healthchecks and Kubernetes probes.
// The cpp-httplib adapter of this folder. Owns its socket and threads; the handlers are called
// on its threads and must be thread-safe. Thread safety: construct and destroy on one thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/result.h"

namespace spikeline::metrics {

struct Probe {
  bool ok = false;
  std::string reason;  // why not ready; empty when ok
};

struct ProbeHandlers {
  std::function<std::string()> metrics;  // the exposition text
  std::function<Probe()> ready;
};

class ProbeServer {
 public:
  virtual ~ProbeServer() = default;  // stops and joins
  virtual int port() const = 0;
  // "HOST:PORT" as bound (port 0 resolved), for READY lines and logs.
  virtual std::string address() const = 0;
};

// Binds `host_port` ("127.0.0.1:9100"; port 0 = any) and serves. kInvalidArgument for a bad
// address, kUnavailable when it cannot bind.
Result<std::unique_ptr<ProbeServer>> startProbeServer(const std::string& host_port,
                                                      ProbeHandlers handlers);

// What a probe client got: the HTTP status and body.
struct ProbeAnswer {
  int status = 0;
  std::string body;
};

// GET http://HOST:PORT`path` with `timeout_ms` for connecting and reading: the client side of
// the probes, for container healthchecks (`spikeline probe`). kInvalidArgument for a bad address
// or a path not starting with '/', kUnavailable when nothing answers in time.
Result<ProbeAnswer> fetchProbe(const std::string& host_port, const std::string& path,
                               int timeout_ms);

// Splits "HOST:PORT". kInvalidArgument otherwise.
Result<std::pair<std::string, int>> parseHostPort(const std::string& text);

}  // namespace spikeline::metrics
