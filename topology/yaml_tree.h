// YamlNode: a YAML document as plain values with 1-based source positions, so the rest of
// topology/ never sees yaml-cpp (its only adapter is yaml_tree.cpp, which catches every
// YAML::Exception). Internal to topology/. A value type; owns its children.
// Thread safety: immutable use is safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace spikeline::topology {

struct YamlEntry;

struct YamlNode {
  enum class Kind : uint8_t { kNull, kScalar, kSequence, kMap };
  Kind kind = Kind::kNull;
  uint32_t line = 0;               // 1-based
  uint32_t column = 0;             // 1-based
  std::string scalar;              // kScalar: the text as written (without quotes)
  bool quoted = false;             // kScalar: written in quotes or as a block: always a string
  std::vector<YamlNode> items;     // kSequence
  std::vector<YamlEntry> entries;  // kMap, in document order (a repeated key appears twice)

  bool isMap() const { return kind == Kind::kMap; }
  bool isSequence() const { return kind == Kind::kSequence; }
  bool isScalar() const { return kind == Kind::kScalar; }
  bool isNull() const { return kind == Kind::kNull; }
  // The first value under `key` (map only); nullptr when absent or not a map.
  const YamlNode* find(std::string_view key) const;

  // Typed reads of a plain (unquoted) scalar; nullopt when it is not of that type.
  std::optional<int64_t> asInt() const;    // decimal, optional sign
  std::optional<double> asDouble() const;  // any finite number, integers included
  std::optional<bool> asBool() const;      // true/True/TRUE/false/False/FALSE
  bool isPlainInt() const { return asInt().has_value(); }
  // "a mapping", "a list", "null", "an integer", "a number", "a boolean", "a string".
  std::string_view typeName() const;
};

struct YamlEntry {
  YamlNode key;
  YamlNode value;
};

struct YamlSyntaxError {
  uint32_t line = 0;    // 1-based; 0 when unknown
  uint32_t column = 0;  // 1-based; 0 when unknown
  std::string message;  // complete, e.g. "YAML syntax error: illegal map value"
};

// Limits on what a document may expand to (aliases can multiply nodes).
inline constexpr uint32_t kMaxYamlDepth = 64;
inline constexpr uint64_t kMaxYamlNodes = 1'000'000;

// Parses one YAML document; an empty document gives a kNull root. Never throws.
std::variant<YamlNode, YamlSyntaxError> parseYaml(const std::string& text);

}  // namespace spikeline::topology
