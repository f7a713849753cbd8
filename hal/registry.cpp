#include "hal/registry.h"

#include <cassert>
#include <string>

namespace spikeline::hal {

void BackendRegistry::add(std::unique_ptr<Backend> backend) {
  assert(backend != nullptr);
  if (backend != nullptr) backends_.push_back(std::move(backend));
}

Backend* BackendRegistry::find(BackendKind kind) const {
  for (const auto& b : backends_) {
    if (b->info().kind == kind) return b.get();
  }
  return nullptr;
}

std::vector<Backend*> BackendRegistry::all() const {
  std::vector<Backend*> out;
  out.reserve(backends_.size());
  for (const auto& b : backends_) out.push_back(b.get());
  return out;
}

Result<Backend*> BackendRegistry::pick(std::string_view choice) const {
  if (choice == "auto") {
    for (BackendKind kind : {BackendKind::kCuda, BackendKind::kCpu}) {
      Backend* b = find(kind);
      if (b != nullptr && b->health().state != HealthState::kFailed) return b;
    }
    return unavailable("backend auto: neither a cuda nor a cpu backend is available");
  }
  SPIKELINE_ASSIGN_OR_RETURN(BackendKind kind, parseBackendKind(choice));
  Backend* b = find(kind);
  const std::string name(choice);
  if (b == nullptr) {
    return unavailable(
        "backend " + name + " is not available on this machine" +
        (kind == BackendKind::kCuda ? " (no CUDA device or not built with CUDA)" : ""));
  }
  const BackendHealth health = b->health();
  if (health.state == HealthState::kFailed) {
    return unavailable("backend " + name + " is not available: " + health.detail);
  }
  return b;
}

}  // namespace spikeline::hal
