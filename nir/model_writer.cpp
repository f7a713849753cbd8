#include "nir/model_writer.h"

#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

#include "topology/safetensors.h"
#include "topology/sha256.h"

namespace spikeline::nir {
namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The shortest text that reads back as the same double, always with a '.' or an exponent so
// that YAML and the topology loader read a real, not an integer.
std::string real(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, end);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

template <typename T>
std::string list(const std::vector<T>& v, std::string (*item)(T)) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + item(v[i]);
  return out + "]";
}

std::string integer(int64_t v) { return std::to_string(v); }

std::string paramValue(const ParamValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return integer(*i);
  if (const auto* d = std::get_if<double>(&v)) return real(*d);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (const auto* s = std::get_if<std::string>(&v)) return quote(*s);
  if (const auto* il = std::get_if<std::vector<int64_t>>(&v)) return list(*il, integer);
  return list(std::get<std::vector<double>>(v), real);
}

std::string names(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + quote(v[i]);
  return out + "]";
}

Status writeFile(const std::filesystem::path& path, const std::string& bytes) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return invalidArgument(tmp.string() + ": cannot create");
    out.write(bytes.data(), std::streamsize(bytes.size()));
    if (!out) return invalidArgument(tmp.string() + ": cannot write");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return invalidArgument(path.string() + ": cannot rename into place");
  }
  return Status::ok();
}

}  // namespace

Result<ModelFiles> encodeModel(const ImportedModel& m, const std::string& header) {
  std::vector<topology::SafetensorsTensorF32> tensors;
  for (const OperatorSpec& op : m.ops) {
    for (const auto& [role, w] : op.weights) {
      std::vector<uint64_t> shape(w.shape.dims().begin(), w.shape.dims().end());
      tensors.push_back({op.name + "." + role, shape, w.values});
    }
  }
  ModelFiles files;
  if (!tensors.empty()) {
    SPIKELINE_ASSIGN_OR_RETURN(files.safetensors, topology::encodeSafetensorsF32(tensors));
  }
  std::ostringstream y;
  std::istringstream h(header);
  for (std::string line; std::getline(h, line);) y << "# " << line << "\n";
  y << "spikeline: 1\n";
  y << "model:\n  name: " << quote(m.name) << "\n  version: 1\n";
  y << "timesteps: " << m.timesteps << "\n";
  std::vector<int64_t> dims(m.input_shape.dims().begin(), m.input_shape.dims().end());
  y << "input:\n  shape: " << list(dims, integer)
    << "\n  encoding: " << (m.dense_input ? "dense" : "spikes") << "\n";
  y << "precision: " << precisionName(m.precision) << "\n";
  if (m.precision == Precision::kFixed) y << "frac_bits: " << m.frac_bits << "\n";
  if (!tensors.empty()) {
    y << "weight_files:\n  main:\n    path: " << quote(m.weights_file)
      << "\n    sha256: " << topology::toHex(topology::sha256(std::string_view(files.safetensors))) << "\n";
  }
  y << "\noperators:\n";
  for (const OperatorSpec& op : m.ops) {
    y << "  - name: " << quote(op.name) << "\n    kind: " << op.kind << "\n";
    if (!op.params.all().empty()) {
      y << "    params: {";
      bool first = true;
      for (const auto& [k, v] : op.params.all()) {
        y << (first ? "" : ", ") << k << ": " << paramValue(v);
        first = false;
      }
      y << "}\n";
    }
    if (!op.weights.empty()) {
      y << "    weights:\n";
      for (const auto& [role, w] : op.weights) {
        y << "      " << role << ": {file: main, tensor: " << quote(op.name + "." + role) << "}\n";
      }
    }
    y << "    inputs: " << names(op.inputs) << "\n";
  }
  y << "\nstages:\n";
  for (const ImportedStage& s : m.stages) {
    y << "  - name: " << quote(s.name) << "\n    operators: " << names(s.operators) << "\n";
    y << "    placement: {backends: [";
    for (size_t i = 0; i < s.backends.size(); ++i) y << (i ? ", " : "") << s.backends[i];
    y << "], replicas: 1, fallback: true}\n";
  }
  files.yaml = y.str();
  return files;
}

Result<std::filesystem::path> writeModelFiles(const ModelFiles& files,
                                              const std::filesystem::path& dir,
                                              const std::string& stem,
                                              const std::string& weights_file) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return invalidArgument(dir.string() + ": cannot create the directory: " + ec.message());
  const std::filesystem::path yaml = dir / (stem + ".yaml");
  if (!files.safetensors.empty()) {
    SPIKELINE_RETURN_IF_ERROR(writeFile(dir / weights_file, files.safetensors));
  }
  SPIKELINE_RETURN_IF_ERROR(writeFile(yaml, files.yaml));
  return yaml;
}

}  // namespace spikeline::nir
