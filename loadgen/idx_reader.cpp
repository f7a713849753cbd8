#include "loadgen/idx_reader.h"

#include <zlib.h>

#include <filesystem>
#include <string>

namespace spikeline::loadgen {
namespace {

constexpr size_t kMaxBytes = size_t{1} << 30;

Status corrupt(std::string_view source, const std::string& what) {
  return invalidArgument(std::string(source) + ": " + what);
}

uint32_t bigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// zlib's gzread reads gzip and plain files alike (transparent mode).
Result<std::vector<uint8_t>> slurp(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return notFound(path + ": no such file");
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return notFound(path + ": cannot open");
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(1 << 16);
  while (true) {
    const int n = gzread(f, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int errnum = 0;
      const std::string msg = gzerror(f, &errnum);
      gzclose(f);
      return invalidArgument(path + ": corrupt compressed data: " + msg);
    }
    if (n == 0) break;
    out.insert(out.end(), chunk.begin(), chunk.begin() + n);
    if (out.size() > kMaxBytes) {
      gzclose(f);
      return invalidArgument(path + ": larger than 1 GiB uncompressed");
    }
  }
  // A gzip stream cut short reads as a clean end in some zlib versions; gzclose reports it.
  const int rc = gzclose(f);
  if (rc != Z_OK) return invalidArgument(path + ": truncated or corrupt compressed data");
  return out;
}

}  // namespace

Result<IdxArray> parseIdx(std::span<const uint8_t> bytes, std::string_view source) {
  if (bytes.size() < 4) return corrupt(source, "shorter than the 4-byte IDX magic");
  if (bytes[0] != 0 || bytes[1] != 0) return corrupt(source, "not an IDX file (bad magic)");
  if (bytes[2] != 0x08) {
    return corrupt(source,
                   "IDX element type " + std::to_string(bytes[2]) + " is not unsigned byte (8)");
  }
  const uint32_t rank = bytes[3];
  if (rank == 0 || rank > 4) return corrupt(source, "IDX rank " + std::to_string(rank));
  const size_t header = 4 + 4 * size_t{rank};
  if (bytes.size() < header) return corrupt(source, "truncated IDX header");
  IdxArray out;
  uint64_t numel = 1;
  for (uint32_t d = 0; d < rank; ++d) {
    const uint32_t dim = bigEndian32(bytes.data() + 4 + 4 * d);
    out.dims.push_back(dim);
    numel *= dim;
    if (numel > kMaxBytes) return corrupt(source, "IDX dims exceed 1 GiB");
  }
  const size_t body = bytes.size() - header;
  if (body < numel) {
    return corrupt(source, "truncated: dims need " + std::to_string(numel) + " bytes, file has " +
                               std::to_string(body));
  }
  if (body > numel) {
    return corrupt(source, std::to_string(body - numel) + " trailing bytes after the data");
  }
  out.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return out;
}

Result<IdxArray> readIdxFile(const std::string& path) {
  SPIKELINE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, slurp(path));
  return parseIdx(bytes, path);
}

Result<ImageSet> readImageSet(const std::string& images_path, const std::string& labels_path) {
  SPIKELINE_ASSIGN_OR_RETURN(IdxArray images, readIdxFile(images_path));
  SPIKELINE_ASSIGN_OR_RETURN(IdxArray labels, readIdxFile(labels_path));
  if (images.dims.size() != 3) {
    return corrupt(images_path,
                   "images must have rank 3, got " + std::to_string(images.dims.size()));
  }
  if (labels.dims.size() != 1) {
    return corrupt(labels_path,
                   "labels must have rank 1, got " + std::to_string(labels.dims.size()));
  }
  if (images.dims[0] != labels.dims[0]) {
    return corrupt(labels_path, std::to_string(labels.dims[0]) + " labels for " +
                                    std::to_string(images.dims[0]) + " images");
  }
  for (size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] >= 10) {
      return corrupt(labels_path, "label " + std::to_string(labels.data[i]) + " at index " +
                                      std::to_string(i) + " is not a class 0..9");
    }
  }
  ImageSet set;
  set.count = images.dims[0];
  set.rows = images.dims[1];
  set.cols = images.dims[2];
  set.pixels = std::move(images.data);
  set.labels = std::move(labels.data);
  return set;
}

Result<ImageSet> readFashionMnist(const std::string& dir, bool test_split) {
  const std::string prefix = dir + "/" + (test_split ? "t10k" : "train");
  auto pick = [](const std::string& base) {
    std::error_code ec;
    return std::filesystem::exists(base + ".gz", ec) ? base + ".gz" : base;
  };
  return readImageSet(pick(prefix + "-images-idx3-ubyte"), pick(prefix + "-labels-idx1-ubyte"));
}

}  // namespace spikeline::loadgen
