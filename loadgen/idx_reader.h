// IDX reader: the file format of MNIST and Fashion-MNIST (big-endian dims, uint8 data), read
// from plain or gzip-compressed files, validated (magic, type, rank, sizes, truncation) with
// errors that name the file. Returns owning values. Thread safety: stateless functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace spikeline::loadgen {

// One IDX array of unsigned bytes (type 0x08).
struct IdxArray {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;  // row-major, product(dims) bytes
};

// Parses IDX bytes. kInvalidArgument on a bad magic, a type other than ubyte, a rank of 0 or
// above 4, a size mismatch (truncated or trailing bytes). `source` names the input in errors.
Result<IdxArray> parseIdx(std::span<const uint8_t> bytes, std::string_view source);
// Reads a file, gunzipping it when it starts with the gzip magic. kNotFound when it cannot be
// opened; kInvalidArgument when it is corrupt or larger than 1 GiB uncompressed.
Result<IdxArray> readIdxFile(const std::string& path);

// Labelled 28x28 (or any rows x cols) images.
struct ImageSet {
  uint32_t count = 0;
  uint32_t rows = 0;
  uint32_t cols = 0;
  std::vector<uint8_t> pixels;  // count * rows * cols, row-major per image
  std::vector<uint8_t> labels;  // count, each < 10
  // REQUIRES: i < count.
  std::span<const uint8_t> image(uint32_t i) const {
    return {pixels.data() + size_t(i) * rows * cols, size_t(rows) * cols};
  }
};

// Reads an images file (rank 3) and a labels file (rank 1) and checks they agree in count and
// that every label is < 10.
Result<ImageSet> readImageSet(const std::string& images_path, const std::string& labels_path);

// Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr std::string_view kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
// Reads "<dir>/{t10k|train}-{images-idx3|labels-idx1}-ubyte[.gz]" (test: 10000, train: 60000).
Result<ImageSet> readFashionMnist(const std::string& dir, bool test_split);

}  // namespace spikeline::loadgen
