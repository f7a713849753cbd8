// The fields of topology schema v1, object by object: the one list the loader checks names
// against (typo detection, required fields) and that tests compare with the JSON Schema in
// schema/topology-v1.schema.json. Static constant data. Thread safety: immutable; safe.
#pragma once

#include <span>
#include <string_view>

namespace spikeline::topology {

// The schema version this build reads (the file's `spikeline:` field).
inline constexpr int kTopologySchemaVersion = 1;

struct SchemaField {
  std::string_view name;
  bool required = false;
};

struct SchemaObject {
  // "model_file" (the top level), "model", "input", "weight_file", "operator", "weight_ref",
  // "stage", "placement"; the JSON Schema names its $defs the same way.
  std::string_view name;
  std::span<const SchemaField> fields;
};

std::span<const SchemaObject> schemaObjects();
// REQUIRES: `name` is one of schemaObjects()' names.
const SchemaObject& schemaObject(std::string_view name);

}  // namespace spikeline::topology
