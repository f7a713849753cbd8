// The JSON Schema for editors (topology/schema/topology-v1.schema.json) must agree with the
// loader: same fields, same required fields, same operator kinds.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "core/operator_catalog.h"
#include "tests/topology/mini_json_schema.h"
#include "tests/topology/model_fixture.h"
#include "topology/schema_fields.h"
#include "topology/yaml_tree.h"

namespace spikeline::topology {
namespace {

using nlohmann::json;

json loadSchema() {
  std::ifstream in(std::string(SPIKELINE_SOURCE_DIR) + "/topology/schema/topology-v1.schema.json");
  EXPECT_TRUE(in.good());
  return json::parse(in, nullptr, /*allow_exceptions=*/false);
}

const json& objectSchema(const json& schema, std::string_view name) {
  return name == "model_file" ? schema : schema["$defs"][std::string(name)];
}

TEST(SchemaJsonTest, IsValidJsonDraft202012) {
  const json schema = loadSchema();
  ASSERT_FALSE(schema.is_discarded());
  EXPECT_EQ(schema.value("$schema", ""), "https://json-schema.org/draft/2020-12/schema");
}

TEST(SchemaJsonTest, PropertiesMatchLoaderFields) {
  const json schema = loadSchema();
  ASSERT_FALSE(schema.is_discarded());
  for (const SchemaObject& object : schemaObjects()) {
    const json& s = objectSchema(schema, object.name);
    ASSERT_TRUE(s.is_object()) << object.name;
    std::set<std::string> schema_fields, loader_fields;
    for (const auto& [key, value] : s["properties"].items()) schema_fields.insert(key);
    for (const SchemaField& f : object.fields) loader_fields.insert(std::string(f.name));
    EXPECT_EQ(schema_fields, loader_fields) << object.name;
    EXPECT_EQ(s.value("additionalProperties", true), false) << object.name;
  }
}

TEST(SchemaJsonTest, RequiredListsMatchLoader) {
  const json schema = loadSchema();
  ASSERT_FALSE(schema.is_discarded());
  for (const SchemaObject& object : schemaObjects()) {
    const json& s = objectSchema(schema, object.name);
    std::set<std::string> schema_required, loader_required;
    for (const json& r : s.value("required", json::array())) schema_required.insert(r);
    for (const SchemaField& f : object.fields) {
      if (f.required) loader_required.insert(std::string(f.name));
    }
    EXPECT_EQ(schema_required, loader_required) << object.name;
  }
}

TEST(SchemaJsonTest, OperatorKindsMatchCatalog) {
  const json schema = loadSchema();
  ASSERT_FALSE(schema.is_discarded());
  std::set<std::string> schema_kinds, catalog_kinds;
  for (const json& k : schema["$defs"]["operator"]["properties"]["kind"]["enum"]) {
    schema_kinds.insert(k);
  }
  for (std::string_view k : operatorKinds()) catalog_kinds.insert(std::string(k));
  EXPECT_EQ(schema_kinds, catalog_kinds);
}

std::vector<std::string> schemaErrors(const std::string& yaml_text) {
  const json schema = loadSchema();
  std::variant<YamlNode, YamlSyntaxError> doc = parseYaml(yaml_text);
  EXPECT_TRUE(std::holds_alternative<YamlNode>(doc));
  if (!std::holds_alternative<YamlNode>(doc)) return {"unparsable"};
  return ::spikeline::testing::MiniJsonSchema(schema).validate(
      ::spikeline::testing::yamlToJson(std::get<YamlNode>(doc)));
}

std::string readText(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(SchemaJsonTest, ShippedModelsValidateAgainstSchema) {
  int count = 0;
  const auto dir = std::filesystem::path(SPIKELINE_SOURCE_DIR) / "topology" / "models";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    ++count;
    const std::string text = readText(entry.path().string());
    ASSERT_FALSE(text.empty()) << entry.path();
    EXPECT_EQ(schemaErrors(text), std::vector<std::string>{}) << entry.path();
  }
  EXPECT_GE(count, 1);
  EXPECT_EQ(schemaErrors(::spikeline::testing::replaceOnce(::spikeline::testing::kSmallModel,
                                                           "@SHA@", std::string(64, 'a'))),
            std::vector<std::string>{});
}

TEST(SchemaJsonTest, SchemaRejectsWhatTheLoaderRejects) {
  using ::spikeline::testing::replaceOnce;
  const std::string base =
      replaceOnce(::spikeline::testing::kSmallModel, "@SHA@", std::string(64, 'a'));
  EXPECT_EQ(
      schemaErrors(replaceOnce(base, "timesteps: 8", "timestep: 8")),
      (std::vector<std::string>{": required \"timesteps\"", "/timestep: additionalProperties"}));
  EXPECT_EQ(schemaErrors(replaceOnce(base, "timesteps: 8", "timesteps: 5000")),
            std::vector<std::string>{"/timesteps: maximum"});
  EXPECT_EQ(schemaErrors(replaceOnce(base, "backends: [cpu]", "backends: [tpu]")),
            std::vector<std::string>{"/stages/1/placement/backends/0: enum"});
  EXPECT_EQ(schemaErrors(replaceOnce(base, "kind: conv2d", "kind: conv2")),
            std::vector<std::string>{"/operators/1/kind: enum"});
}

}  // namespace
}  // namespace spikeline::topology
