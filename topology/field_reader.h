// Typed reads of YAML fields that report every mistake (wrong type, out of range, unknown or
// missing field) to a DiagnosticSink with the field path, and return nullopt on error.
// Internal to topology/. Stateless functions. Thread safety: as the sink passed in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "topology/diagnostic_sink.h"
#include "topology/schema_fields.h"
#include "topology/yaml_tree.h"

namespace spikeline::topology {

// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string joinPath(std::string_view path, std::string_view field);
// "operators" + 2 -> "operators[2]".
std::string indexPath(std::string_view path, size_t index);

// Checks that `node` is a mapping whose keys are plain strings, each known to `object` and not
// repeated, and that every required field is present. Unknown keys get a "did you mean" hint.
// Returns false when `node` is not a mapping (nothing else is checked then).
bool checkObject(const YamlNode& node, const SchemaObject& object, std::string_view path,
                 DiagnosticSink& sink);

// Reports a mapping key repeated in `node`; false when any repeats. For free-form maps.
bool checkNoDuplicateKeys(const YamlNode& node, std::string_view path, DiagnosticSink& sink);

// The closest candidate within edit distance 2 (case-insensitive), or empty.
std::string suggestName(std::string_view name, const std::vector<std::string_view>& candidates);

std::optional<std::string> readString(const YamlNode& node, std::string_view path,
                                      DiagnosticSink& sink);
// A non-empty name of letters, digits, '_', '-', '.'.
std::optional<std::string> readName(const YamlNode& node, std::string_view path,
                                    DiagnosticSink& sink);
std::optional<int64_t> readIntInRange(const YamlNode& node, std::string_view path, int64_t lo,
                                      int64_t hi, DiagnosticSink& sink);
std::optional<bool> readBool(const YamlNode& node, std::string_view path, DiagnosticSink& sink);
// A list of names; each bad item is reported with its index.
std::optional<std::vector<std::string>> readNameList(const YamlNode& node, std::string_view path,
                                                     DiagnosticSink& sink);

}  // namespace spikeline::topology
