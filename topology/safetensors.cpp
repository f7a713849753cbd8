#include "topology/safetensors.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

namespace spikeline::topology {
namespace {

using nlohmann::json;

uint64_t readLe64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | uint8_t(p[i]);
  return v;
}

uint32_t readLe32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | uint8_t(p[i]);
  return v;
}

float halfToFloat(uint16_t h) {
  const uint32_t sign = uint32_t(h >> 15) << 31;
  const int exponent = (h >> 10) & 0x1F;
  const uint32_t mantissa = h & 0x3FF;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24
    float v = std::ldexp(float(mantissa), -24);
    return sign ? -v : v;
  }
  if (exponent == 31) {  // inf or nan
    return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
  }
  return std::bit_cast<float>(sign | (uint32_t(exponent - 15 + 127) << 23) | (mantissa << 13));
}

Result<SafetensorsDType> parseDType(std::string_view name) {
  if (name == "F32") return SafetensorsDType::kF32;
  if (name == "F16") return SafetensorsDType::kF16;
  if (name == "BF16") return SafetensorsDType::kBF16;
  if (name == "I8") return SafetensorsDType::kI8;
  if (name == "I32") return SafetensorsDType::kI32;
  return invalidArgument("dtype '" + std::string(name) +
                         "' is not supported (expected F32, F16, BF16, I8 or I32)");
}

Result<uint64_t> readUnsigned(const json& v, std::string_view what) {
  if (!v.is_number_unsigned()) {
    return invalidArgument(std::string(what) + " must be a non-negative integer");
  }
  return v.get<uint64_t>();
}

// Parses one tensor's header entry (all checks that need only the entry and the data size).
Result<SafetensorsEntry> parseEntry(const json& v, uint64_t data_size) {
  if (!v.is_object()) return invalidArgument("entry must be a JSON object");
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!v.contains(key)) return invalidArgument(std::string("missing '") + key + "'");
  }
  if (!v["dtype"].is_string()) return invalidArgument("dtype must be a string");
  SafetensorsEntry e;
  SPIKELINE_ASSIGN_OR_RETURN(e.dtype, parseDType(v["dtype"].get<std::string>()));
  if (!v["shape"].is_array()) return invalidArgument("shape must be a list");
  uint64_t numel = 1;
  bool overflow = false;
  for (const json& d : v["shape"]) {
    SPIKELINE_ASSIGN_OR_RETURN(uint64_t dim, readUnsigned(d, "each shape dimension"));
    e.shape.push_back(dim);
    if (dim != 0 && numel > std::numeric_limits<uint64_t>::max() / dim) overflow = true;
    numel *= dim;
  }
  const json& off = v["data_offsets"];
  if (!off.is_array() || off.size() != 2) {
    return invalidArgument("data_offsets must be a list of two integers");
  }
  SPIKELINE_ASSIGN_OR_RETURN(e.begin, readUnsigned(off[0], "data_offsets[0]"));
  SPIKELINE_ASSIGN_OR_RETURN(e.end, readUnsigned(off[1], "data_offsets[1]"));
  if (e.begin > e.end) {
    return invalidArgument("data_offsets [" + std::to_string(e.begin) + ", " +
                           std::to_string(e.end) + "] has begin > end");
  }
  if (e.end > data_size) {
    return invalidArgument("data_offsets end " + std::to_string(e.end) +
                           " is past the data section (" + std::to_string(data_size) + " bytes)");
  }
  const uint64_t elem = safetensorsDTypeSize(e.dtype);
  if (overflow || numel > std::numeric_limits<uint64_t>::max() / elem ||
      numel * elem != e.end - e.begin) {
    return invalidArgument("shape holds " + std::to_string(numel) + " elements of " +
                           std::to_string(elem) + " bytes but data_offsets span " +
                           std::to_string(e.end - e.begin) + " bytes");
  }
  return e;
}

Status checkNoOverlap(const std::map<std::string, SafetensorsEntry, std::less<>>& entries) {
  std::vector<std::pair<const std::string*, const SafetensorsEntry*>> sorted;
  for (const auto& [name, e] : entries) {
    if (e.end > e.begin) sorted.emplace_back(&name, &e);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.second->begin < b.second->begin; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i].second->begin < sorted[i - 1].second->end) {
      return invalidArgument("tensor '" + *sorted[i].first + "': data_offsets overlap tensor '" +
                             *sorted[i - 1].first + "'");
    }
  }
  return Status::ok();
}

}  // namespace

std::string_view safetensorsDTypeName(SafetensorsDType dtype) {
  switch (dtype) {
    case SafetensorsDType::kF32:
      return "F32";
    case SafetensorsDType::kF16:
      return "F16";
    case SafetensorsDType::kBF16:
      return "BF16";
    case SafetensorsDType::kI8:
      return "I8";
    case SafetensorsDType::kI32:
      return "I32";
  }
  return "?";
}

size_t safetensorsDTypeSize(SafetensorsDType dtype) {
  switch (dtype) {
    case SafetensorsDType::kF32:
      return 4;
    case SafetensorsDType::kF16:
      return 2;
    case SafetensorsDType::kBF16:
      return 2;
    case SafetensorsDType::kI8:
      return 1;
    case SafetensorsDType::kI32:
      return 4;
  }
  return 1;
}

Result<SafetensorsFile> SafetensorsFile::parse(std::string bytes) {
  if (bytes.size() < 8) {
    return invalidArgument("file is " + std::to_string(bytes.size()) +
                           " bytes, too short for the 8-byte header length");
  }
  const uint64_t header_len = readLe64(bytes.data());
  if (header_len > kMaxSafetensorsHeaderBytes || header_len > bytes.size() - 8) {
    return invalidArgument("header length " + std::to_string(header_len) +
                           " is larger than the file (" + std::to_string(bytes.size()) +
                           " bytes) or the 100 MB limit");
  }
  json header;
  try {
    header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + std::ptrdiff_t(header_len));
  } catch (const json::exception& e) {
    return invalidArgument(std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) return invalidArgument("header must be a JSON object");
  SafetensorsFile file;
  file.data_start_ = 8 + header_len;
  const uint64_t data_size = bytes.size() - file.data_start_;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") continue;
    Result<SafetensorsEntry> entry = parseEntry(value, data_size);
    if (!entry.isOk()) return entry.status().withContext("tensor '" + name + "'");
    file.entries_.emplace(name, std::move(entry).value());
  }
  SPIKELINE_RETURN_IF_ERROR(checkNoOverlap(file.entries_));
  file.bytes_ = std::move(bytes);
  return file;
}

Result<SafetensorsFile> SafetensorsFile::read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return notFound("cannot open '" + path.string() + "'");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return notFound("cannot read '" + path.string() + "'");
  return parse(std::move(buf).str());
}

Result<WeightTensor> SafetensorsFile::tensor(std::string_view name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) return notFound("no tensor '" + std::string(name) + "'");
  const SafetensorsEntry& e = it->second;
  std::vector<uint32_t> dims;
  for (uint64_t d : e.shape) {
    if (d > std::numeric_limits<uint32_t>::max()) {
      return invalidArgument("tensor '" + std::string(name) + "': dimension " + std::to_string(d) +
                             " does not fit in 32 bits");
    }
    dims.push_back(uint32_t(d));
  }
  WeightTensor out{Shape(std::move(dims)), {}};
  const char* p = bytes_.data() + data_start_ + e.begin;
  const size_t n = (e.end - e.begin) / safetensorsDTypeSize(e.dtype);
  out.values.resize(n);
  for (size_t i = 0; i < n; ++i) {
    switch (e.dtype) {
      case SafetensorsDType::kF32:
        out.values[i] = std::bit_cast<float>(readLe32(p + 4 * i));
        break;
      case SafetensorsDType::kF16:
        out.values[i] = halfToFloat(uint16_t(uint8_t(p[2 * i]) | (uint8_t(p[2 * i + 1]) << 8)));
        break;
      case SafetensorsDType::kBF16:
        out.values[i] = std::bit_cast<float>((uint32_t(uint8_t(p[2 * i])) << 16) |
                                             (uint32_t(uint8_t(p[2 * i + 1])) << 24));
        break;
      case SafetensorsDType::kI8:
        out.values[i] = float(int8_t(p[i]));
        break;
      case SafetensorsDType::kI32:
        out.values[i] = float(std::bit_cast<int32_t>(readLe32(p + 4 * i)));
        break;
    }
  }
  return out;
}

Result<std::string> encodeSafetensorsF32(const std::vector<SafetensorsTensorF32>& tensors) {
  json header = json::object();
  uint64_t offset = 0;
  for (const SafetensorsTensorF32& t : tensors) {
    uint64_t numel = 1;
    for (uint64_t d : t.shape) numel *= d;
    if (numel != t.values.size()) {
      return invalidArgument("tensor '" + t.name + "': shape holds " + std::to_string(numel) +
                             " values, got " + std::to_string(t.values.size()));
    }
    if (header.contains(t.name)) return invalidArgument("tensor '" + t.name + "' repeats");
    header[t.name] = {
        {"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + 4 * numel}}};
    offset += 4 * numel;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception& e) {
    return invalidArgument(std::string("cannot encode header: ") + e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = char(uint64_t(text.size()) >> (8 * i));
  out += text;
  for (const SafetensorsTensorF32& t : tensors) {
    for (float v : t.values) {
      const uint32_t bits = std::bit_cast<uint32_t>(v);
      for (int i = 0; i < 4; ++i) out.push_back(char(bits >> (8 * i)));
    }
  }
  return out;
}

}  // namespace spikeline::topology
