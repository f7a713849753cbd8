#include "core/ready_line.h"

#include <algorithm>

namespace spikeline {

std::string ReadyLine::find(std::string_view key) const {
  for (const auto& [k, v] : endpoints) {
    if (k == key) return v;
  }
  return "";
}

std::string ReadyLine::format() const {
  std::string out = "READY";
  for (const auto& [k, v] : endpoints) out += " " + k + "=" + v;
  return out;
}

Result<ReadyLine> parseReadyLine(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  constexpr std::string_view kWord = "READY";
  if (line.substr(0, kWord.size()) != kWord ||
      (line.size() > kWord.size() && line[kWord.size()] != ' ')) {
    return invalidArgument("not a READY line: '" + std::string(line) + "'");
  }
  ReadyLine ready;
  size_t at = kWord.size();
  while (at < line.size()) {
    if (line[at] == ' ') {
      ++at;
      continue;
    }
    const size_t end = std::min(line.find(' ', at), line.size());
    const std::string_view word = line.substr(at, end - at);
    const size_t eq = word.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == word.size()) {
      return invalidArgument("READY line word '" + std::string(word) +
                             "' is not key=endpoint in '" + std::string(line) + "'");
    }
    ready.endpoints.emplace_back(std::string(word.substr(0, eq)), std::string(word.substr(eq + 1)));
    at = end;
  }
  if (ready.endpoints.empty()) {
    return invalidArgument("READY line names no endpoint: '" + std::string(line) + "'");
  }
  return ready;
}

}  // namespace spikeline
