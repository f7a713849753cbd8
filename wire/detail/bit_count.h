// Private to wire/: counting set bits of packed spike words (the encoder's bitmap-or-events
// decision). Thread safety: pure function.
#pragma once

#include <cstdint>
#include <limits>
#include <span>

namespace spikeline::wire::detail {

// Set bits in `words`; stops early, returning a value >= `cap`, once `cap` bits are counted.
// Uses the POPCNT instruction when the CPU has it (checked once at run time), because the
// portable std::popcount compiles to a libgcc call per word on baseline x86-64.
uint64_t countBits(std::span<const uint64_t> words,
                   uint64_t cap = std::numeric_limits<uint64_t>::max());

}  // namespace spikeline::wire::detail
