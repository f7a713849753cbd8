#include "topology/schema_fields.h"

#include <array>
#include <cassert>

namespace spikeline::topology {
namespace {

constexpr std::array<SchemaField, 9> kModelFile = {{{"spikeline", true},
                                                    {"model", true},
                                                    {"timesteps", true},
                                                    {"input", true},
                                                    {"precision", true},
                                                    {"frac_bits", false},
                                                    {"weight_files", false},
                                                    {"operators", true},
                                                    {"stages", true}}};
constexpr std::array<SchemaField, 2> kModel = {{{"name", true}, {"version", true}}};
constexpr std::array<SchemaField, 2> kInput = {{{"shape", true}, {"encoding", true}}};
constexpr std::array<SchemaField, 2> kWeightFile = {{{"path", true}, {"sha256", true}}};
constexpr std::array<SchemaField, 5> kOperator = {
    {{"name", true}, {"kind", true}, {"params", false}, {"weights", false}, {"inputs", false}}};
constexpr std::array<SchemaField, 2> kWeightRef = {{{"file", true}, {"tensor", true}}};
constexpr std::array<SchemaField, 3> kStage = {
    {{"name", true}, {"operators", true}, {"placement", true}}};
constexpr std::array<SchemaField, 4> kPlacement = {
    {{"backends", true}, {"replicas", false}, {"standby", false}, {"fallback", false}}};

constexpr std::array<SchemaObject, 8> kObjects = {{{"model_file", kModelFile},
                                                   {"model", kModel},
                                                   {"input", kInput},
                                                   {"weight_file", kWeightFile},
                                                   {"operator", kOperator},
                                                   {"weight_ref", kWeightRef},
                                                   {"stage", kStage},
                                                   {"placement", kPlacement}}};

}  // namespace

std::span<const SchemaObject> schemaObjects() { return kObjects; }

const SchemaObject& schemaObject(std::string_view name) {
  for (const SchemaObject& o : kObjects) {
    if (o.name == name) return o;
  }
  assert(false && "unknown schema object");
  return kObjects[0];
}

}  // namespace spikeline::topology
