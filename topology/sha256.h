// Sha256: the SHA-256 hash (FIPS 180-4), std only. Used for weight-file checksums and operator ids.
// A value type holding the running state; feed bytes with update(), read the digest with finish().
// Thread safety: none internally; use one instance per thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace spikeline::topology {

using Sha256Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256();

  void update(std::span<const uint8_t> bytes);
  void update(std::string_view bytes);
  // Pads and returns the digest. REQUIRES: called once; the object is spent afterwards.
  Sha256Digest finish();

 private:
  void compressBlock(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;       // bytes in buffer_
  uint64_t total_bytes_ = 0;  // message length so far
};

// One-shot helpers.
Sha256Digest sha256(std::span<const uint8_t> bytes);
Sha256Digest sha256(std::string_view bytes);
// 64 lowercase hex digits.
std::string toHex(const Sha256Digest& digest);

}  // namespace spikeline::topology
