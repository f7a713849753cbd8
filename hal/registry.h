// BackendRegistry: the backends a process built in main(), looked up by kind or picked for
// "auto" (a cuda backend when one is registered and healthy, else cpu; chip only when asked).
// Owns its backends; lookups return borrowed pointers valid while the registry lives.
// Thread safety: add() is not thread-safe (call it while wiring main()); lookups are const and
// safe concurrently once wiring is done.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "core/operator_spec.h"
#include "core/result.h"
#include "hal/backend.h"

namespace spikeline::hal {

class BackendRegistry {
 public:
  // REQUIRES: backend != nullptr.
  void add(std::unique_ptr<Backend> backend);

  // The first registered backend of `kind`, or nullptr.
  Backend* find(BackendKind kind) const;
  std::vector<Backend*> all() const;

  // `choice` is "cpu", "cuda", "chip" or "auto". A named kind that is not registered, or whose
  // health is kFailed, is kUnavailable with a message naming it ("backend cuda is not available:
  // ..."); an unknown name is kInvalidArgument. "auto" prefers a healthy cuda backend, then cpu.
  Result<Backend*> pick(std::string_view choice) const;

 private:
  std::vector<std::unique_ptr<Backend>> backends_;
};

}  // namespace spikeline::hal
