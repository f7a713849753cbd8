// ReplicaId: a sender's local name for one next-hop replica (an index into its peer table).
// Assigned by the owner of the peer table; meaningless across processes.
// Thread safety: a plain value.
#pragma once

#include <cstdint>
#include <vector>

namespace spikeline::transport {

using ReplicaId = uint32_t;
using ReplicaList = std::vector<ReplicaId>;

}  // namespace spikeline::transport
