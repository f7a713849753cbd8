// NumPy .npy files (format versions 1.0, 2.0 and 3.0): read one array of bool, uint8, int32,
// int64, float32 or float64 (little-endian, C order), write float32. std only.
//
// Why not xtensor's xt::load_npy (Debian's libxtensor-dev): it sizes its buffer from the header
// without checking the file holds that many bytes (a 100-byte file can ask for terabytes), reads
// the item size with atoi, and does not notice a short read. This reader validates the whole
// header (magic, version, header length, the dict's three keys in any order, descr, shape) and
// requires the data to be exactly numel * itemsize bytes, so memory stays bounded by the file.
// Errors (kInvalidArgument) say what is wrong, e.g. "npy: data holds 12 bytes, shape (2, 3) of
// <f4 needs 24". Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace spikeline::npy {

struct Array {
  std::vector<uint64_t> shape;  // () for a scalar
  std::string dtype;            // "bool", "uint8", "int32", "int64", "float32", "float64"
  std::vector<double> values;   // row-major, converted to double
  uint64_t numel() const;
};

Result<Array> parse(std::string_view bytes);
Result<Array> readFile(const std::filesystem::path& path);

// A float32 .npy (format 1.0) of `shape` holding `values` (product(shape) of them).
std::string encodeFloat32(const std::vector<uint64_t>& shape, const std::vector<float>& values);
Status writeFile(const std::filesystem::path& path, const std::string& bytes);

}  // namespace spikeline::npy
