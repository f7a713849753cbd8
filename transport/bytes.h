// Bytes and Multipart: the opaque byte strings the transport moves. A Multipart is one ZeroMQ
// message (its parts in order). Values: owning, copyable, movable. Thread safety: as values.
#pragma once

#include <cstdint>
#include <vector>

namespace spikeline::transport {

using Bytes = std::vector<uint8_t>;
using Multipart = std::vector<Bytes>;

}  // namespace spikeline::transport
