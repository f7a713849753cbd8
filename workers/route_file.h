// StaticRoutes: the static route file (YAML) a worker or client runs from when no broker is
// used: the model's topology file and, per stage, its replica endpoints. A value type.
// parseRouteFile reads a file; no shared state. Thread safety: safe to call concurrently.
//
// Format (paths relative to the route file):
//   topology: ../topology/models/fmnist_scnn.yaml
//   stages:
//     encoder:    [tcp://127.0.0.1:7001, tcp://127.0.0.1:7002]
//     features:   [tcp://127.0.0.1:7003]
//     classifier: [tcp://127.0.0.1:7004]
// With CURVE (decision 0010) an endpoint is a map naming the server's public key:
//     classifier: [{endpoint: tcp://10.0.0.7:7004, curve_key: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"}]
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"
#include "transport/curve.h"

namespace spikeline::workers {

struct StageEndpoints {
  std::string stage;
  // Replica data endpoints, e.g. "tcp://127.0.0.1:7001", with their CURVE keys when given.
  std::vector<transport::PeerAddress> endpoints;
  friend bool operator==(const StageEndpoints&, const StageEndpoints&) = default;
};

struct StaticRoutes {
  std::filesystem::path topology_path;  // absolute or relative to the cwd (already resolved)
  std::vector<StageEndpoints> stages;   // in file order
  // nullptr when absent.
  const StageEndpoints* findStage(const std::string& name) const;
  friend bool operator==(const StaticRoutes&, const StaticRoutes&) = default;
};

// kNotFound when the file cannot be read; kInvalidArgument "file:line:col: field: problem" for
// malformed YAML, a missing `topology`, a stage that is not a list of strings, or an endpoint
// without a "scheme://" prefix. `stages` may be absent (a worker of the last stage needs none).
Result<StaticRoutes> parseRouteFile(const std::filesystem::path& path);
// As parseRouteFile for text in memory; `file_name` is used in messages, `base_dir` resolves the
// topology path.
Result<StaticRoutes> parseRouteText(const std::string& text, const std::string& file_name,
                                    const std::filesystem::path& base_dir);

}  // namespace spikeline::workers
