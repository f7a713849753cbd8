#include "core/ids.h"

namespace spikeline {

std::string OperatorId::toHex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 0; i < 16; ++i) out[15 - i] = kDigits[(value >> (4 * i)) & 0xF];
  return out;
}

Result<OperatorId> OperatorId::fromHex(std::string_view hex) {
  if (hex.size() != 16) {
    return invalidArgument("operator id must be 16 hex digits, got " + std::to_string(hex.size()) +
                           " characters");
  }
  uint64_t v = 0;
  for (char c : hex) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return invalidArgument(std::string("operator id has a non-hex character '") + c + "'");
    v = (v << 4) | uint64_t(d);
  }
  return OperatorId{v};
}

}  // namespace spikeline
