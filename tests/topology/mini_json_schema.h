// A minimal JSON Schema (draft 2020-12) validator covering the keywords
// topology/schema/topology-v1.schema.json uses: $ref (local), type, const, enum, required,
// properties, additionalProperties, propertyNames, items, minItems, uniqueItems, minimum,
// maximum, minLength, pattern, anyOf, not. Plus YAML -> JSON via topology's YAML tree.
// Header-only; for tests only (no jsonschema package here). Thread safety: stateless.
#pragma once

#include <regex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "topology/yaml_tree.h"

namespace spikeline::testing {

inline nlohmann::json yamlToJson(const topology::YamlNode& node) {
  using nlohmann::json;
  switch (node.kind) {
    case topology::YamlNode::Kind::kNull:
      return nullptr;
    case topology::YamlNode::Kind::kSequence: {
      json out = json::array();
      for (const auto& item : node.items) out.push_back(yamlToJson(item));
      return out;
    }
    case topology::YamlNode::Kind::kMap: {
      json out = json::object();
      for (const auto& e : node.entries) out[e.key.scalar] = yamlToJson(e.value);
      return out;
    }
    case topology::YamlNode::Kind::kScalar:
      break;
  }
  if (auto i = node.asInt()) return *i;
  if (auto d = node.asDouble()) return *d;
  if (auto b = node.asBool()) return *b;
  return node.scalar;
}

class MiniJsonSchema {
 public:
  explicit MiniJsonSchema(nlohmann::json root) : root_(std::move(root)) {}

  // Every violation as "<json pointer>: <keyword>".
  std::vector<std::string> validate(const nlohmann::json& value) const {
    std::vector<std::string> errors;
    check(root_, value, "", errors);
    return errors;
  }

 private:
  static bool hasType(const nlohmann::json& v, const std::string& type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "integer") return v.is_number_integer();
    if (type == "number") return v.is_number();
    if (type == "boolean") return v.is_boolean();
    if (type == "null") return v.is_null();
    return false;
  }

  bool valid(const nlohmann::json& schema, const nlohmann::json& v) const {
    std::vector<std::string> errors;
    check(schema, v, "", errors);
    return errors.empty();
  }

  void checkObject(const nlohmann::json& s, const nlohmann::json& v, const std::string& at,
                   std::vector<std::string>& errors) const {
    for (const auto& r : s.value("required", nlohmann::json::array())) {
      if (!v.contains(r.get<std::string>())) errors.push_back(at + ": required " + r.dump());
    }
    for (const auto& [key, item] : v.items()) {
      if (s.contains("propertyNames") && !valid(s["propertyNames"], key)) {
        errors.push_back(at + "/" + key + ": propertyNames");
      }
      if (s.contains("properties") && s["properties"].contains(key)) {
        check(s["properties"][key], item, at + "/" + key, errors);
      } else if (s.contains("additionalProperties")) {
        const auto& extra = s["additionalProperties"];
        if (extra.is_boolean() && !extra.get<bool>()) {
          errors.push_back(at + "/" + key + ": additionalProperties");
        } else if (extra.is_object()) {
          check(extra, item, at + "/" + key, errors);
        }
      }
    }
  }

  void checkArray(const nlohmann::json& s, const nlohmann::json& v, const std::string& at,
                  std::vector<std::string>& errors) const {
    if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>()) {
      errors.push_back(at + ": minItems");
    }
    if (s.value("uniqueItems", false) &&
        std::set<nlohmann::json>(v.begin(), v.end()).size() != v.size()) {
      errors.push_back(at + ": uniqueItems");
    }
    if (s.contains("items")) {
      for (size_t i = 0; i < v.size(); ++i) {
        check(s["items"], v[i], at + "/" + std::to_string(i), errors);
      }
    }
  }

  void checkScalar(const nlohmann::json& s, const nlohmann::json& v, const std::string& at,
                   std::vector<std::string>& errors) const {
    if (v.is_number()) {
      if (s.contains("minimum") && v.get<double>() < s["minimum"].get<double>()) {
        errors.push_back(at + ": minimum");
      }
      if (s.contains("maximum") && v.get<double>() > s["maximum"].get<double>()) {
        errors.push_back(at + ": maximum");
      }
    }
    if (v.is_string()) {
      const std::string text = v.get<std::string>();
      if (s.contains("minLength") && text.size() < s["minLength"].get<size_t>()) {
        errors.push_back(at + ": minLength");
      }
      if (s.contains("pattern") &&
          !std::regex_search(text, std::regex(s["pattern"].get<std::string>()))) {
        errors.push_back(at + ": pattern");
      }
    }
  }

  void check(const nlohmann::json& s, const nlohmann::json& v, const std::string& at,
             std::vector<std::string>& errors) const {
    if (s.contains("$ref")) {
      const std::string ref = s["$ref"].get<std::string>();  // "#/$defs/<name>"
      check(root_["$defs"][ref.substr(ref.rfind('/') + 1)], v, at, errors);
    }
    if (s.contains("type")) {
      bool ok = false;
      if (s["type"].is_string())
        ok = hasType(v, s["type"].get<std::string>());
      else
        for (const auto& t : s["type"]) ok = ok || hasType(v, t.get<std::string>());
      if (!ok) errors.push_back(at + ": type");
    }
    if (s.contains("const") && v != s["const"]) errors.push_back(at + ": const");
    if (s.contains("enum") && std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end()) {
      errors.push_back(at + ": enum");
    }
    if (s.contains("anyOf")) {
      bool any = false;
      for (const auto& option : s["anyOf"]) any = any || valid(option, v);
      if (!any) errors.push_back(at + ": anyOf");
    }
    if (s.contains("not") && valid(s["not"], v)) errors.push_back(at + ": not");
    if (v.is_object()) checkObject(s, v, at, errors);
    if (v.is_array()) checkArray(s, v, at, errors);
    checkScalar(s, v, at, errors);
  }

  nlohmann::json root_;
};

}  // namespace spikeline::testing
