#include "topology/yaml_tree.h"

#include <charconv>
#include <cmath>
#include <exception>

#include <yaml-cpp/yaml.h>

namespace spikeline::topology {
namespace {

struct Converter {
  uint64_t nodes = 0;
  std::optional<YamlSyntaxError> error;

  void setPosition(const YAML::Node& in, const YamlNode& parent, YamlNode& out) {
    const YAML::Mark mark = in.Mark();
    if (mark.is_null() || mark.line < 0) {
      out.line = parent.line;
      out.column = parent.column;
    } else {
      out.line = uint32_t(mark.line) + 1;
      out.column = uint32_t(mark.column) + 1;
    }
  }

  // Converts `in` into `out`; false (and `error` set) when a limit is exceeded.
  bool convert(const YAML::Node& in, const YamlNode& parent, YamlNode& out, uint32_t depth) {
    setPosition(in, parent, out);
    if (++nodes > kMaxYamlNodes || depth > kMaxYamlDepth) {
      error = YamlSyntaxError{out.line, out.column,
                              depth > kMaxYamlDepth
                                  ? "YAML document nests deeper than 64 levels (a recursive alias?)"
                                  : "YAML document expands to over 1000000 nodes (aliases?)"};
      return false;
    }
    switch (in.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out.kind = YamlNode::Kind::kNull;
        return true;
      case YAML::NodeType::Scalar:
        out.kind = YamlNode::Kind::kScalar;
        out.scalar = in.Scalar();
        out.quoted = in.Tag() == "!";
        return true;
      case YAML::NodeType::Sequence:
        out.kind = YamlNode::Kind::kSequence;
        for (const YAML::Node& item : in) {
          out.items.emplace_back();
          if (!convert(item, out, out.items.back(), depth + 1)) return false;
        }
        return true;
      case YAML::NodeType::Map:
        out.kind = YamlNode::Kind::kMap;
        for (const auto& kv : in) {
          out.entries.emplace_back();
          if (!convert(kv.first, out, out.entries.back().key, depth + 1)) return false;
          if (!convert(kv.second, out.entries.back().key, out.entries.back().value, depth + 1)) {
            return false;
          }
        }
        return true;
    }
    return true;
  }
};

std::string stripYamlCppPrefix(const std::string& what) {
  // yaml-cpp prefixes "yaml-cpp: error at line L, column C: "; the position is reported apart.
  const std::string_view marker = ": ";
  size_t pos = what.find("column ");
  if (pos == std::string::npos) return what;
  pos = what.find(marker, pos);
  return pos == std::string::npos ? what : what.substr(pos + marker.size());
}

}  // namespace

const YamlNode* YamlNode::find(std::string_view key) const {
  if (kind != Kind::kMap) return nullptr;
  for (const YamlEntry& e : entries) {
    if (e.key.isScalar() && e.key.scalar == key) return &e.value;
  }
  return nullptr;
}

std::optional<int64_t> YamlNode::asInt() const {
  if (kind != Kind::kScalar || quoted || scalar.empty()) return std::nullopt;
  std::string_view s = scalar;
  if (s.front() == '+') s.remove_prefix(1);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> YamlNode::asDouble() const {
  if (kind != Kind::kScalar || quoted || scalar.empty()) return std::nullopt;
  std::string_view s = scalar;
  if (s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<bool> YamlNode::asBool() const {
  if (kind != Kind::kScalar || quoted) return std::nullopt;
  if (scalar == "true" || scalar == "True" || scalar == "TRUE") return true;
  if (scalar == "false" || scalar == "False" || scalar == "FALSE") return false;
  return std::nullopt;
}

std::string_view YamlNode::typeName() const {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kMap:
      return "a mapping";
    case Kind::kSequence:
      return "a list";
    case Kind::kScalar:
      break;
  }
  if (asInt()) return "an integer";
  if (asDouble()) return "a number";
  if (asBool()) return "a boolean";
  return "a string";
}

std::variant<YamlNode, YamlSyntaxError> parseYaml(const std::string& text) {
  try {
    YAML::Node doc = YAML::Load(text);
    Converter converter;
    YamlNode root;
    root.line = 1;
    root.column = 1;
    YamlNode anchor = root;
    if (!converter.convert(doc, anchor, root, 0)) return *converter.error;
    return root;
  } catch (const YAML::Exception& e) {
    return YamlSyntaxError{
        e.mark.is_null() ? 0 : uint32_t(e.mark.line) + 1,
        e.mark.is_null() ? 0 : uint32_t(e.mark.column) + 1,
        "YAML syntax error: " + (e.msg.empty() ? stripYamlCppPrefix(e.what()) : e.msg)};
  } catch (const std::exception& e) {
    return YamlSyntaxError{0, 0, std::string("YAML error: ") + e.what()};
  }
}

}  // namespace spikeline::topology
