// SafetensorsFile: a parsed safetensors file (8-byte little-endian header length, JSON header,
// raw tensor bytes) whose tensors are read out as float32 WeightTensors. The object owns a copy
// of the file bytes. Parsing validates everything (header size, dtypes, shapes, offsets, overlap)
// and never throws. Thread safety: immutable after parse(); const methods are safe to share.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/operator_spec.h"
#include "core/result.h"

namespace spikeline::topology {

// Header length limit: a larger header is rejected as corrupt. Default: 100 MB.
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100ull * 1000 * 1000;

// Stored element types this reader converts to float32.
enum class SafetensorsDType : uint8_t { kF32, kF16, kBF16, kI8, kI32 };
std::string_view safetensorsDTypeName(SafetensorsDType dtype);  // "F32", "F16", ...
size_t safetensorsDTypeSize(SafetensorsDType dtype);            // bytes per element

struct SafetensorsEntry {
  SafetensorsDType dtype = SafetensorsDType::kF32;
  std::vector<uint64_t> shape;
  uint64_t begin = 0;  // byte offsets into the data section (after the header)
  uint64_t end = 0;
};

class SafetensorsFile {
 public:
  // Parses a whole file's bytes. kInvalidArgument naming the tensor and the problem when the
  // bytes are not a valid safetensors file. `__metadata__` is accepted and ignored.
  static Result<SafetensorsFile> parse(std::string bytes);
  // Reads and parses a file; kNotFound when it cannot be opened.
  static Result<SafetensorsFile> read(const std::filesystem::path& path);

  const std::map<std::string, SafetensorsEntry, std::less<>>& entries() const { return entries_; }
  bool has(std::string_view name) const { return entries_.find(name) != entries_.end(); }
  // The tensor converted to float32 (row-major). kNotFound when absent; kInvalidArgument when a
  // dimension does not fit in 32 bits.
  Result<WeightTensor> tensor(std::string_view name) const;

 private:
  std::string bytes_;
  uint64_t data_start_ = 0;  // 8 + header length
  std::map<std::string, SafetensorsEntry, std::less<>> entries_;
};

// A float32 tensor to write.
struct SafetensorsTensorF32 {
  std::string name;
  std::vector<uint64_t> shape;
  std::vector<float> values;  // product(shape) values
};

// Encodes tensors as a safetensors file (dtype F32, tensors laid out in the given order, header
// padded with spaces to a multiple of 8 bytes). kInvalidArgument when a tensor's value count
// does not match its shape or a name repeats.
Result<std::string> encodeSafetensorsF32(const std::vector<SafetensorsTensorF32>& tensors);

}  // namespace spikeline::topology
