// Limits every decoded (and encoded) message obeys, so a decoder never allocates more than a
// bounded amount whatever the bytes say. Constants only. Thread safety: immutable.
// Changing a limit is a wire-compatibility change: say so in docs/wire-format.md.
#pragma once

#include <cstdint>

namespace spikeline::wire {

// Timesteps T of a frame: 1..kMaxTimesteps.
inline constexpr uint32_t kMaxTimesteps = 4096;
// Neurons per timestep N = shape.numel(): 1..kMaxNeurons (2^26).
inline constexpr uint64_t kMaxNeurons = uint64_t{1} << 26;
// T * N of one frame: at most 2^28 neuron-steps, i.e. a 32 MiB bitmap. This is the largest
// allocation a decode makes that the input does not pay for byte by byte (an events payload
// with few spikes decodes into a full bitmap); every other allocation is bounded by the input.
inline constexpr uint64_t kMaxNeuronSteps = uint64_t{1} << 28;
// Dimensions of a frame's shape.
inline constexpr uint32_t kMaxRank = 8;
// Cap'n Proto nesting limit: the deepest path the decoder follows is 5 pointers
// (Envelope > RouteTable > models > stages > replicas), so 8 leaves margin and nothing more.
inline constexpr int kNestingLimit = 8;
// Cap'n Proto traversal limit = kTraversalWordsPerInputWord * input words + kTraversalSlackWords:
// the decoder reads every object once, so a larger traversal means aliased pointers
// (an amplification attack).
inline constexpr uint64_t kTraversalWordsPerInputWord = 1;
inline constexpr uint64_t kTraversalSlackWords = 8;
// Largest message accepted by decode(): 256 MiB.
inline constexpr uint64_t kMaxMessageBytes = uint64_t{1} << 28;

}  // namespace spikeline::wire
