#include "wire/detail/bit_count.h"

#include <algorithm>
#include <cstddef>

namespace spikeline::wire::detail {
namespace {

// Words counted between two checks of the cap: long enough for the loop to run at full speed.
constexpr size_t kBlockWords = 32;

inline uint64_t swarPopcount(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ULL);
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return (x * 0x0101010101010101ULL) >> 56;
}

uint64_t countPortable(const uint64_t* words, size_t n, uint64_t cap) {
  uint64_t total = 0;
  for (size_t begin = 0; begin < n && total < cap; begin += kBlockWords) {
    const size_t end = std::min(n, begin + kBlockWords);
    for (size_t i = begin; i < end; ++i) total += swarPopcount(words[i]);
  }
  return total;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("popcnt"))) uint64_t countPopcnt(const uint64_t* words, size_t n,
                                                       uint64_t cap) {
  uint64_t total = 0;
  for (size_t begin = 0; begin < n && total < cap; begin += kBlockWords) {
    const size_t end = std::min(n, begin + kBlockWords);
    for (size_t i = begin; i < end; ++i) {
      total += static_cast<uint64_t>(__builtin_popcountll(words[i]));
    }
  }
  return total;
}

bool cpuHasPopcnt() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("popcnt");
}
#endif

}  // namespace

uint64_t countBits(std::span<const uint64_t> words, uint64_t cap) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const bool has_popcnt = cpuHasPopcnt();
  if (has_popcnt) return countPopcnt(words.data(), words.size(), cap);
#endif
  return countPortable(words.data(), words.size(), cap);
}

}  // namespace spikeline::wire::detail
