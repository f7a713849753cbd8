// `spikeline keygen NAME... --dir DIR`: makes one CURVE key pair per NAME (docs/security.md
// "CURVE") as DIR/NAME.key (public, shareable: copy it into the trust directory of whoever must
// let NAME in) and DIR/NAME.key_secret (mode 0600, for NAME only). Never overwrites a key.
// Prints each public key. Exit 0, 1 when a key exists or a file cannot be written, 2 bad usage.
// Thread safety: as the streams.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace spikeline::cli {

struct KeygenCommand {
  std::vector<std::string> names;
  std::string dir = ".";
};

int runKeygen(const KeygenCommand& c, std::ostream& out, std::ostream& err);

}  // namespace spikeline::cli
