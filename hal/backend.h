// Backend: the hardware abstraction every worker runs operators through (cpu, cuda, chip).
// A Backend is a resource owned by unique_ptr (main() builds them and hands them to a registry);
// CompiledOperators are owned by the caller of compile() and must not outlive their Backend.
// Thread safety: every method may be called concurrently from several threads (implementations
// serialise internally where the hardware needs it).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/ids.h"
#include "core/operator_spec.h"
#include "core/result.h"
#include "core/tensor.h"

namespace spikeline::hal {

struct BackendInfo {
  BackendKind kind = BackendKind::kCpu;
  std::string name;                   // e.g. "cpu", "cuda:0 NVIDIA H100", "chip:emu0"
  uint32_t capacity = 1;              // frames it can run at once (worker threads/streams/cores)
  std::vector<Precision> precisions;  // precisions it supports
};

enum class HealthState : uint8_t { kHealthy = 0, kDegraded = 1, kFailed = 2 };

struct BackendHealth {
  HealthState state = HealthState::kHealthy;
  std::string detail;                  // human-readable; names failed cores, lost device, ...
  std::vector<uint32_t> failed_cores;  // chip only
};

// Per-run context: what an operator may depend on besides its inputs (so results are
// reproducible: the rate encoder seeds its RNG from the request id).
struct RunContext {
  RequestId request_id = 0;
  // The model's T. Encoders given a one-step input ([1, S], e.g. a static image) emit this many
  // steps; 0 means "the input's own T". Other operators keep their input's T.
  uint32_t timesteps = 0;
};

// An operator prepared for one backend (weights quantised/uploaded, chip cores mapped).
class CompiledOperator {
 public:
  virtual ~CompiledOperator() = default;
  virtual const OperatorSpec& spec() const = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual BackendInfo info() const = 0;

  // Ok when this backend can run `spec` (kind, precision, shapes); otherwise kUnimplemented
  // naming the reason (the broker falls back), or kInvalidArgument for a malformed spec.
  virtual Status supports(const OperatorSpec& spec) const = 0;

  // Validates `spec` (shapes, weight sizes, parameters) and prepares it for run().
  // Errors: kInvalidArgument (spec is wrong), kUnimplemented (not on this backend),
  // kResourceExhausted (does not fit: chip cores/synapse memory), kUnavailable (device failed).
  virtual Result<std::unique_ptr<CompiledOperator>> compile(const OperatorSpec& spec) = 0;

  // Runs one multi-step frame: inputs[i] is the tensor for spec.inputs[i] (one input when
  // spec.inputs is empty), each [T, input shape]; returns [T, output shape].
  // REQUIRES: `op` was compiled by this backend. Never throws.
  // Errors: kInvalidArgument (input shape/kind mismatch), kUnavailable (device or core failed:
  // re-route), kInternal (a bug).
  virtual Result<Tensor> run(const CompiledOperator& op, std::span<const Tensor* const> inputs,
                             const RunContext& ctx) = 0;

  virtual BackendHealth health() const = 0;
};

}  // namespace spikeline::hal
