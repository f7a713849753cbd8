// Helpers for the NIR tests: paths of the fixtures in tests/nir/data and a file reader.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace spikeline::nir::testing {

inline std::string dataPath(const std::string& name) {
  return std::string(SPIKELINE_SOURCE_DIR) + "/tests/nir/data/" + name;
}

inline std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace spikeline::nir::testing
