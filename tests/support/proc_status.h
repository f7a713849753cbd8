// rssKiB: a memory figure of a process from /proc/PID/status, for tests that bound what hostile
// input may make a process allocate. Header-only; tests only. Thread safety: none needed.
#pragma once

#include <sys/types.h>

#include <fstream>
#include <string>

namespace spikeline::testing {

// In KiB, or -1: "VmRSS" (resident now) or "VmHWM" (the peak resident set so far, which a
// message freed after use still shows).
inline long rssKiB(pid_t pid, const std::string& field = "VmRSS") {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

}  // namespace spikeline::testing
