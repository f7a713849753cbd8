#include <algorithm>
#include <cctype>
#include <filesystem>
#include <limits>

#include "topology/field_reader.h"
#include "topology/model_decl.h"
#include "topology/schema_fields.h"

namespace spikeline::topology {
namespace {

constexpr int64_t kMaxTimesteps = 4096;
constexpr int64_t kMaxDim = std::numeric_limits<int32_t>::max();

// Checks `spikeline: 1`; false when the rest of the file cannot be read as schema v1.
bool checkVersion(const YamlNode& root, DiagnosticSink& sink) {
  const YamlNode* v = root.find("spikeline");
  if (v == nullptr) {
    sink.add(root, "spikeline",
             "missing required field (the schema version; this build reads `spikeline: 1`)");
    return false;
  }
  std::optional<int64_t> version = v->asInt();
  if (!version) {
    sink.add(*v, "spikeline",
             "must be the integer schema version " + std::to_string(kTopologySchemaVersion) +
                 ", got " + std::string(v->typeName()) +
                 (v->isScalar() ? " ('" + v->scalar + "')" : std::string()));
    return false;
  }
  if (*version != kTopologySchemaVersion) {
    sink.add(*v, "spikeline",
             "unsupported schema version '" + v->scalar + "' (this build reads version " +
                 std::to_string(kTopologySchemaVersion) + ")");
    return false;
  }
  return true;
}

void parseModelRef(const YamlNode& node, ModelDecl& model, DiagnosticSink& sink) {
  if (!checkObject(node, schemaObject("model"), "model", sink)) return;
  if (const YamlNode* n = node.find("name")) {
    if (auto name = readName(*n, "model.name", sink)) model.model.name = *name;
  }
  if (const YamlNode* v = node.find("version")) {
    auto version =
        readIntInRange(*v, "model.version", 0, std::numeric_limits<uint32_t>::max(), sink);
    if (version) model.model.version = uint32_t(*version);
  }
}

void parseInput(const YamlNode& node, ModelDecl& model, DiagnosticSink& sink) {
  if (!checkObject(node, schemaObject("input"), "input", sink)) return;
  if (const YamlNode* shape = node.find("shape")) {
    model.input_shape_node = shape;
    if (!shape->isSequence() || shape->items.empty()) {
      sink.add(*shape, "input.shape", "must be a non-empty list of dimensions, e.g. [1, 28, 28]");
    } else {
      std::vector<uint32_t> dims;
      for (size_t i = 0; i < shape->items.size(); ++i) {
        auto d = readIntInRange(shape->items[i], indexPath("input.shape", i), 1, kMaxDim, sink);
        if (d) dims.push_back(uint32_t(*d));
      }
      model.input_shape = Shape(std::move(dims));
    }
  }
  if (const YamlNode* enc = node.find("encoding")) {
    auto text = readString(*enc, "input.encoding", sink);
    if (text && *text == "spikes") {
      model.input_encoding = InputEncoding::kSpikes;
    } else if (text && *text == "dense") {
      model.input_encoding = InputEncoding::kDense;
    } else if (text) {
      sink.add(*enc, "input.encoding", "must be 'spikes' or 'dense', got '" + *text + "'");
    }
  }
}

void parsePrecisionFields(const YamlNode& root, ModelDecl& model, DiagnosticSink& sink) {
  if (const YamlNode* p = root.find("precision")) {
    model.precision_node = p;
    if (auto text = readString(*p, "precision", sink)) {
      Result<Precision> precision = spikeline::parsePrecision(*text);
      if (precision.isOk()) {
        model.precision = *precision;
      } else {
        sink.add(*p, "precision", "must be 'float32' or 'fixed', got '" + *text + "'");
      }
    }
  }
  if (const YamlNode* f = root.find("frac_bits")) {
    if (model.precision != Precision::kFixed) {
      sink.add(*f, "frac_bits", "applies only to precision 'fixed'");
    } else if (auto bits = readIntInRange(*f, "frac_bits", 1, 24, sink)) {
      model.frac_bits = uint32_t(*bits);
    }
  }
}

bool isSha256Hex(const std::string& s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(uint8_t(c)) != 0; });
}

void parseWeightFile(const YamlEntry& entry, ModelDecl& model, DiagnosticSink& sink) {
  const std::string path = joinPath("weight_files", entry.key.scalar);
  WeightFileDecl file{entry.key.scalar, {}, {}, &entry.value, nullptr, nullptr};
  if (!readName(entry.key, path, sink)) return;
  if (!checkObject(entry.value, schemaObject("weight_file"), path, sink)) return;
  if ((file.path_node = entry.value.find("path")) != nullptr) {
    if (auto p = readString(*file.path_node, joinPath(path, "path"), sink)) {
      if (p->empty() || std::filesystem::path(*p).is_absolute()) {
        sink.add(*file.path_node, joinPath(path, "path"),
                 "must be a non-empty path relative to the model file, got '" + *p + "'");
      }
      file.path = *p;
    }
  }
  if ((file.sha256_node = entry.value.find("sha256")) != nullptr) {
    if (auto h = readString(*file.sha256_node, joinPath(path, "sha256"), sink)) {
      if (!isSha256Hex(*h)) {
        sink.add(*file.sha256_node, joinPath(path, "sha256"),
                 "must be 64 hex digits, got '" + *h + "'");
      }
      file.sha256 = *h;
      std::transform(file.sha256.begin(), file.sha256.end(), file.sha256.begin(),
                     [](char c) { return char(std::tolower(uint8_t(c))); });
    }
  }
  model.weight_files.push_back(std::move(file));
}

void parseWeightFiles(const YamlNode& node, ModelDecl& model, DiagnosticSink& sink) {
  if (!node.isMap()) {
    sink.add(node, "weight_files",
             "must be a mapping of file id -> {path, sha256}, got " + std::string(node.typeName()));
    return;
  }
  if (!checkNoDuplicateKeys(node, "weight_files", sink)) return;
  for (const YamlEntry& e : node.entries) parseWeightFile(e, model, sink);
}

void parseTimesteps(const YamlNode& root, ModelDecl& model, DiagnosticSink& sink) {
  if (const YamlNode* t = root.find("timesteps")) {
    if (auto v = readIntInRange(*t, "timesteps", 1, kMaxTimesteps, sink)) {
      model.timesteps = uint32_t(*v);
    }
  }
}

}  // namespace

std::optional<ModelDecl> parseModelDecl(const YamlNode& root, DiagnosticSink& sink) {
  if (!root.isMap()) {
    sink.add(root, "", "a model file must be a YAML mapping, got " + std::string(root.typeName()));
    return std::nullopt;
  }
  if (!checkVersion(root, sink)) return std::nullopt;
  checkObject(root, schemaObject("model_file"), "", sink);
  ModelDecl model;
  model.root = &root;
  if (const YamlNode* m = root.find("model")) parseModelRef(*m, model, sink);
  parseTimesteps(root, model, sink);
  if (const YamlNode* in = root.find("input")) parseInput(*in, model, sink);
  parsePrecisionFields(root, model, sink);
  if (const YamlNode* w = root.find("weight_files")) parseWeightFiles(*w, model, sink);
  if (const YamlNode* ops = root.find("operators")) parseOperators(*ops, model, sink);
  if (const YamlNode* stages = root.find("stages")) parseStages(*stages, model, sink);
  return model;
}

}  // namespace spikeline::topology
