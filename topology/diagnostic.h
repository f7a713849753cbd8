// Diagnostic: one problem found in a model file, located by file, line, column and field path,
// printed as "models/x.yaml:14:7: operators[2].params.stride: must be >= 1, got 0".
// A value type. Thread safety: immutable use is safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace spikeline::topology {

struct Diagnostic {
  std::string file;     // as the caller named it
  uint32_t line = 0;    // 1-based; 0 when unknown (e.g. the file cannot be read)
  uint32_t column = 0;  // 1-based; 0 when unknown
  std::string field;    // e.g. "operators[2].params.stride"; empty for the whole file
  std::string message;  // e.g. "must be >= 1, got 0"

  // "file:line:column: field: message" (parts that are unknown or empty are left out).
  std::string toString() const;
  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

// kInvalidArgument whose message is every diagnostic's toString(), one per line; ok when empty.
Status diagnosticsToStatus(const std::vector<Diagnostic>& diagnostics);

}  // namespace spikeline::topology
