// libFuzzer target for wire::decode(): any bytes must give a Message or a Status, never a crash,
// a sanitizer report or an exception. For accepted input it also checks that re-encoding is a
// fixed point (encode(decode(x)) decodes and re-encodes to the same bytes) and that aligned and
// unaligned copies of the input decode alike. Built by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "wire/codec.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spikeline::wire;
  const std::span<const uint8_t> input(data, size);
  const auto decoded = decode(input);

  // The same bytes at an odd address take the copying path and must give the same verdict.
  std::vector<uint8_t> shifted(size + 1);
  if (size > 0) std::memcpy(shifted.data() + 1, data, size);
  const auto decoded_unaligned = decode(std::span<const uint8_t>(shifted.data() + 1, size));
  check(decoded.isOk() == decoded_unaligned.isOk());
  if (!decoded.isOk()) {
    check(!decoded.status().message().empty());
    return 0;
  }

  const auto first = encode(*decoded);
  check(first.isOk());
  const auto again = decode(first->bytes());
  check(again.isOk());
  const auto second = encode(*again);
  check(second.isOk());
  check(first->size() == second->size() &&
        std::memcmp(first->bytes().data(), second->bytes().data(), first->size()) == 0);
  return 0;
}
