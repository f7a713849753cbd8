// Small file helpers every harness needs: a fresh temporary directory and a whole file read as
// text. Header-only; tests only. Thread safety: stateless.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace spikeline::harness {

// A new directory under $TMPDIR named `tag`-XXXXXX; an empty path when it cannot be made.
inline std::filesystem::path makeTempDir(const std::string& tag) {
  std::string pattern = (std::filesystem::temp_directory_path() / (tag + "-XXXXXX")).string();
  char* made = ::mkdtemp(pattern.data());
  return made != nullptr ? std::filesystem::path(made) : std::filesystem::path();
}

// The file's bytes; "" when it cannot be read.
inline std::string readText(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace spikeline::harness
