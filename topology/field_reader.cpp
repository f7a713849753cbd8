#include "topology/field_reader.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace spikeline::topology {
namespace {

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const bool same = std::tolower(uint8_t(a[i - 1])) == std::tolower(uint8_t(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string typeError(const YamlNode& node, std::string_view expected) {
  std::string got(node.typeName());
  if (node.isScalar()) got += " (" + quoted(node.scalar) + ")";
  return "must be " + std::string(expected) + ", got " + got;
}

}  // namespace

std::string joinPath(std::string_view path, std::string_view field) {
  if (path.empty()) return std::string(field);
  return std::string(path) + "." + std::string(field);
}

std::string indexPath(std::string_view path, size_t index) {
  return std::string(path) + "[" + std::to_string(index) + "]";
}

std::string suggestName(std::string_view name, const std::vector<std::string_view>& candidates) {
  std::string best;
  size_t best_distance = 3;
  for (std::string_view c : candidates) {
    const size_t d = editDistance(name, c);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(c);
    }
  }
  return best;
}

bool checkNoDuplicateKeys(const YamlNode& node, std::string_view path, DiagnosticSink& sink) {
  std::set<std::string> seen;
  bool ok = true;
  for (const YamlEntry& e : node.entries) {
    if (!e.key.isScalar()) {
      sink.add(e.key, std::string(path),
               "keys must be plain strings, got " + std::string(e.key.typeName()));
      ok = false;
    } else if (!seen.insert(e.key.scalar).second) {
      sink.add(e.key, joinPath(path, e.key.scalar), "appears more than once");
      ok = false;
    }
  }
  return ok;
}

bool checkObject(const YamlNode& node, const SchemaObject& object, std::string_view path,
                 DiagnosticSink& sink) {
  if (!node.isMap()) {
    sink.add(node, std::string(path), typeError(node, "a mapping"));
    return false;
  }
  checkNoDuplicateKeys(node, path, sink);
  std::vector<std::string_view> names;
  for (const SchemaField& f : object.fields) names.push_back(f.name);
  for (const YamlEntry& e : node.entries) {
    if (!e.key.isScalar() || std::find(names.begin(), names.end(), e.key.scalar) != names.end()) {
      continue;
    }
    std::string message = "unknown field";
    std::string hint = suggestName(e.key.scalar, names);
    if (!hint.empty()) message += " (did you mean " + quoted(hint) + "?)";
    sink.add(e.key, joinPath(path, e.key.scalar), std::move(message));
  }
  for (const SchemaField& f : object.fields) {
    if (f.required && node.find(f.name) == nullptr) {
      sink.add(node, joinPath(path, f.name), "missing required field");
    }
  }
  return true;
}

std::optional<std::string> readString(const YamlNode& node, std::string_view path,
                                      DiagnosticSink& sink) {
  if (!node.isScalar()) {
    sink.add(node, std::string(path), typeError(node, "a string"));
    return std::nullopt;
  }
  return node.scalar;
}

std::optional<std::string> readName(const YamlNode& node, std::string_view path,
                                    DiagnosticSink& sink) {
  std::optional<std::string> s = readString(node, path, sink);
  if (!s) return std::nullopt;
  const bool valid = !s->empty() && std::all_of(s->begin(), s->end(), [](char c) {
    return std::isalnum(uint8_t(c)) || c == '_' || c == '-' || c == '.';
  });
  if (!valid) {
    sink.add(node, std::string(path),
             "must be a non-empty name of letters, digits, '_', '-' or '.', got " + quoted(*s));
    return std::nullopt;
  }
  return s;
}

std::optional<int64_t> readIntInRange(const YamlNode& node, std::string_view path, int64_t lo,
                                      int64_t hi, DiagnosticSink& sink) {
  std::optional<int64_t> v = node.asInt();
  if (!v) {
    sink.add(node, std::string(path), typeError(node, "an integer"));
    return std::nullopt;
  }
  if (*v < lo || *v > hi) {
    sink.add(node, std::string(path),
             "must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
                 std::to_string(*v));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> readBool(const YamlNode& node, std::string_view path, DiagnosticSink& sink) {
  std::optional<bool> v = node.asBool();
  if (!v) sink.add(node, std::string(path), typeError(node, "a boolean (true or false)"));
  return v;
}

std::optional<std::vector<std::string>> readNameList(const YamlNode& node, std::string_view path,
                                                     DiagnosticSink& sink) {
  if (!node.isSequence()) {
    sink.add(node, std::string(path), typeError(node, "a list of names"));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < node.items.size(); ++i) {
    std::optional<std::string> name = readName(node.items[i], indexPath(path, i), sink);
    if (name)
      out.push_back(std::move(*name));
    else
      ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace spikeline::topology
