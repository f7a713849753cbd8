// Input/output plumbing shared by the emulator's core programs: checking a frame's inputs,
// turning one timestep of an input into address events (what the chip's router delivers to the
// cores), and per-element access in fixed point. Internal to hal/chip. Thread safety: stateless.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/operator_spec.h"
#include "core/result.h"
#include "core/tensor.h"

namespace spikeline::hal {

// A nonzero input element: a spike (value 1) or a graded event carrying a dense int32 value.
struct InputEvent {
  uint32_t address = 0;
  int32_t value = 0;
};

struct InputCheck {
  // Each input must have this many elements per step (the spec's input shape).
  uint64_t numel = 0;
  // Dense float32 inputs are accepted (encoders quantise them); otherwise int32 only.
  bool allow_float = false;
};

// Validates a frame: `count` inputs, each with check.numel elements per step, all with the same
// T >= 1, dense ones int32 (or float32 when allowed). Returns T. Errors: kInvalidArgument naming
// the operator and the input.
Result<uint32_t> checkInputs(std::span<const Tensor* const> inputs, size_t count,
                             const InputCheck& check, const OperatorSpec& spec);

// Replaces `events` with the nonzero elements of step t, ascending by address.
// REQUIRES: `in` passed checkInputs without allow_float, t < T.
void gatherEvents(const Tensor& in, uint32_t t, std::vector<InputEvent>& events);

// Element i of step t as an activation at 2^-frac_bits: a spike is 2^F, an int32 is itself, a
// float32 goes through math::toActivation. REQUIRES: indices in range.
int32_t activationAt(const Tensor& in, uint32_t t, uint32_t i, int frac_bits);

// Fractional bits of one input unit of `in`: 0 for spikes (a spike counts 1), F for dense.
int inputBits(const Tensor& in, int frac_bits);

}  // namespace spikeline::hal
