// `spikeline validate FILE...`: checks model files and prints, per file, either
// "FILE: OK (name@version, N operators, M stages)" or each diagnostic on its own line.
// Pure over the files it reads; writes only to the stream given. Thread safety: as the stream.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace spikeline::cli {

// Exit codes of the spikeline CLI.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;  // some file has problems
inline constexpr int kExitUsage = 2;    // bad command line

// Validates every file (all of them, even after a failure); kExitOk when all are valid,
// kExitInvalid otherwise.
int runValidate(const std::vector<std::string>& files, std::ostream& out);

}  // namespace spikeline::cli
