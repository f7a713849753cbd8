#include "topology/weights_binder.h"

#include <fstream>
#include <sstream>

#include "topology/field_reader.h"
#include "topology/safetensors.h"
#include "topology/sha256.h"

namespace spikeline::topology {
namespace {

std::optional<std::string> readFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(buf).str();
}

// Loads one declared file; nullopt (reported) when unreadable, mismatched or malformed.
std::optional<SafetensorsFile> loadWeightFile(const WeightFileDecl& decl,
                                              const std::filesystem::path& model_dir,
                                              DiagnosticSink& sink) {
  const std::string field = joinPath("weight_files", decl.id);
  const std::filesystem::path path = model_dir / decl.path;
  std::optional<std::string> bytes = readFileBytes(path);
  if (!bytes) {
    sink.add(*decl.path_node, joinPath(field, "path"),
             "cannot read weights file '" + path.string() + "'");
    return std::nullopt;
  }
  const std::string actual = toHex(sha256(*bytes));
  if (actual != decl.sha256) {
    sink.add(*decl.sha256_node, joinPath(field, "sha256"),
             "does not match weights file '" + decl.path + "': the file's sha256 is " + actual);
    return std::nullopt;
  }
  Result<SafetensorsFile> file = SafetensorsFile::parse(std::move(*bytes));
  if (!file.isOk()) {
    sink.add(*decl.path_node, joinPath(field, "path"),
             "'" + decl.path + "' is not a valid safetensors file: " + file.status().message());
    return std::nullopt;
  }
  return std::move(file).value();
}

void bindOperator(const OperatorDecl& op, const ModelDecl& model,
                  const std::map<std::string, std::optional<SafetensorsFile>, std::less<>>& files,
                  WeightMap& out, DiagnosticSink& sink) {
  const std::string base = joinPath(indexPath("operators", op.index), "weights");
  for (const auto& [role, ref] : op.weights) {
    const std::string field = joinPath(base, role);
    auto file = files.find(ref.file_id);
    if (file == files.end()) {
      std::vector<std::string_view> ids;
      for (const WeightFileDecl& f : model.weight_files) ids.push_back(f.id);
      std::string hint = suggestName(ref.file_id, ids);
      sink.add(*ref.file_node, field,
               "unknown weight file '" + ref.file_id + "'" +
                   (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      continue;
    }
    if (!file->second) continue;  // the file's own problem is reported already
    Result<WeightTensor> tensor = file->second->tensor(ref.tensor);
    if (tensor.status().code() == StatusCode::kNotFound) {
      std::vector<std::string_view> names;
      for (const auto& [name, entry] : file->second->entries()) names.push_back(name);
      std::string hint = suggestName(ref.tensor, names);
      sink.add(*ref.tensor_node, field,
               "no tensor '" + ref.tensor + "' in weight file '" + ref.file_id + "'" +
                   (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    } else if (!tensor.isOk()) {
      sink.add(*ref.tensor_node, field, tensor.status().message());
    } else {
      out.emplace(role, std::move(tensor).value());
    }
  }
}

}  // namespace

std::optional<std::vector<WeightMap>> bindWeights(const ModelDecl& model,
                                                  const std::filesystem::path& model_dir,
                                                  DiagnosticSink& sink) {
  const size_t errors_before = sink.count();
  std::map<std::string, std::optional<SafetensorsFile>, std::less<>> files;
  for (const WeightFileDecl& decl : model.weight_files) {
    files.emplace(decl.id, loadWeightFile(decl, model_dir, sink));
  }
  std::vector<WeightMap> out(model.operators.size());
  for (size_t i = 0; i < model.operators.size(); ++i) {
    bindOperator(model.operators[i], model, files, out[i], sink);
  }
  if (sink.count() != errors_before) return std::nullopt;
  return out;
}

}  // namespace spikeline::topology
