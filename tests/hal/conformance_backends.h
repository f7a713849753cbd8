// The backends the conformance suite checks against the CPU reference. cpu-event and cpu-dense
// (the CPU backend forced onto one accumulation path) are always listed; chip and cuda are listed
// when their targets are built (SPIKELINE_HAVE_CHIP / SPIKELINE_HAVE_CUDA, set by CMake).
// To add a backend: add a factory in conformance_backends.cpp. Thread safety: none needed.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "hal/backend.h"

namespace spikeline::hal::testing {

struct BackendFactory {
  std::string name;  // test-name safe: letters, digits
  // kUnavailable when the hardware is absent (the suite skips with its message).
  std::function<Result<std::unique_ptr<Backend>>()> make;
};

std::vector<BackendFactory> conformanceBackends();

}  // namespace spikeline::hal::testing
