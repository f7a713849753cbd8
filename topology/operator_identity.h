// Operator identity: OperatorId = the first 64 bits (big-endian) of sha256 over a canonical,
// versioned byte encoding of what an operator computes: kind, parameters, weights, precision and
// (fixed only) frac_bits. The operator's name and inputs are not part of it, so identical
// operators in different models share one id (and one worker pool). The encoding is documented
// in topology/SCHEMA.md ("Operator identity") and never changes within an encoding version.
// Pure functions. Thread safety: safe from any thread.
#pragma once

#include <string>

#include "core/ids.h"
#include "core/operator_spec.h"
#include "topology/sha256.h"

namespace spikeline::topology {

// The encoding version written first in the canonical bytes. Default: 1.
inline constexpr uint8_t kOperatorIdEncodingVersion = 1;

// sha256 over every weight tensor in role order: role, rank, dims, and little-endian float32
// value bits.
Sha256Digest weightsDigest(const OperatorSpec& spec);

// The canonical bytes hashed by computeOperatorId (exposed for tests and tools).
std::string canonicalOperatorBytes(const OperatorSpec& spec);

OperatorId computeOperatorId(const OperatorSpec& spec);

}  // namespace spikeline::topology
