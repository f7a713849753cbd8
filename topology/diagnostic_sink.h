// DiagnosticSink: collects the Diagnostics of one model file while it is loaded, each located at
// a YamlNode. Internal to topology/. Owns its diagnostics; not thread-safe (one per load).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "topology/diagnostic.h"
#include "topology/yaml_tree.h"

namespace spikeline::topology {

class DiagnosticSink {
 public:
  explicit DiagnosticSink(std::string file) : file_(std::move(file)) {}

  void add(const YamlNode& at, std::string field, std::string message) {
    diagnostics_.push_back(
        Diagnostic{file_, at.line, at.column, std::move(field), std::move(message)});
  }
  size_t count() const { return diagnostics_.size(); }
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  std::vector<Diagnostic> take() { return std::move(diagnostics_); }

 private:
  std::string file_;
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace spikeline::topology
