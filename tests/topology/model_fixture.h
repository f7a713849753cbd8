// Test fixtures for topology/: a scratch directory per test, raw safetensors bytes (valid or
// deliberately corrupt), and a small valid model (YAML + weights) that tests break one field at
// a time. Header-only; for tests only. Thread safety: one fixture per test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "topology/safetensors.h"
#include "topology/sha256.h"

namespace spikeline::testing {

// A fresh, empty directory named after the running test; removed when the object dies.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("spikeline-topology-" + std::to_string(::getpid()) + "-" +
             std::string(info->test_suite_name()) + "-" + std::string(info->name()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& bytes) const {
    std::ofstream out(path_ / name, std::ios::binary);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

// Little-endian float32 bytes.
inline std::string f32Bytes(const std::vector<float>& values) {
  std::string out;
  for (float v : values) {
    const uint32_t bits = std::bit_cast<uint32_t>(v);
    for (int i = 0; i < 4; ++i) out.push_back(char(bits >> (8 * i)));
  }
  return out;
}

// A safetensors file from a header written by hand (any JSON, valid or not) and a data section.
inline std::string rawSafetensors(const std::string& header_json, const std::string& data,
                                  uint64_t header_len_override = 0) {
  const uint64_t len = header_len_override != 0 ? header_len_override : header_json.size();
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = char(len >> (8 * i));
  return out + header_json + data;
}

// Values 0.01 * (i + 1) * sign, distinct and exact enough to compare.
inline std::vector<float> rampValues(size_t n, float scale = 0.01f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * float(i + 1) * (i % 2 == 0 ? 1.0f : -1.0f);
  return v;
}

// The tensors of kSmallModel's weights file, plus a few wrong ones tests point at.
inline std::vector<topology::SafetensorsTensorF32> smallModelTensors() {
  return {{"conv.weight", {2, 1, 3, 3}, rampValues(18)},
          {"conv.bias", {2}, rampValues(2)},
          {"fc.weight", {4, 128}, rampValues(512, 0.001f)},
          {"fc.bias", {4}, rampValues(4)},
          {"fc_wrong.weight", {4, 100}, rampValues(400, 0.001f)}};
}

// A valid float32 model: dense [1,8,8] -> encode_rate -> conv2d 1->2 k3 p1 -> lif -> flatten
// -> linear 128->4 -> lif -> readout, in two stages. "@SHA@" is replaced by the weights' sha256.
inline constexpr const char* kSmallModel = R"(spikeline: 1
model:
  name: small
  version: 3
timesteps: 8
input:
  shape: [1, 8, 8]
  encoding: dense
precision: float32
weight_files:
  w:
    path: small.safetensors
    sha256: "@SHA@"
operators:
  - name: enc
    kind: encode_rate
    params: {seed: 1}
  - name: conv
    kind: conv2d
    params: {stride: 1, padding: 1}
    weights:
      weight: {file: w, tensor: conv.weight}
      bias: {file: w, tensor: conv.bias}
  - name: lif1
    kind: lif
    params: {tau: 0.002, v_threshold: 0.5}
  - name: flat
    kind: flatten
  - name: fc
    kind: linear
    weights:
      weight: {file: w, tensor: fc.weight}
      bias: {file: w, tensor: fc.bias}
  - name: lif2
    kind: lif
    params: {tau: 0.002, v_threshold: 0.5}
  - name: out
    kind: readout
stages:
  - name: front
    operators: [enc, conv, lif1]
    placement:
      backends: [cuda, cpu]
      replicas: 2
  - name: back
    operators: [flat, fc, lif2, out]
    placement:
      backends: [cpu]
)";

// Replaces the first occurrence of `from` (which must occur) in `text`.
inline std::string replaceOnce(std::string text, const std::string& from, const std::string& to) {
  const size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << "fixture text has no '" << from << "'";
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

// 1-based line and column of the first occurrence of `needle` in `text` ({0,0} if absent).
inline std::pair<uint32_t, uint32_t> positionOf(const std::string& text,
                                                const std::string& needle) {
  const size_t pos = text.find(needle);
  if (pos == std::string::npos) return {0, 0};
  const size_t line_start = text.rfind('\n', pos);
  const uint32_t line = uint32_t(std::count(text.begin(), text.begin() + ptrdiff_t(pos), '\n')) + 1;
  const uint32_t column =
      uint32_t(pos - (line_start == std::string::npos ? 0 : line_start + 1)) + 1;
  return {line, column};
}

// Writes small.safetensors into `dir` and returns kSmallModel with its sha256 filled in.
inline std::string writeSmallModelWeights(const ScratchDir& dir) {
  auto bytes = topology::encodeSafetensorsF32(smallModelTensors());
  EXPECT_TRUE(bytes.isOk());
  dir.write("small.safetensors", *bytes);
  return replaceOnce(kSmallModel, "@SHA@", topology::toHex(topology::sha256(*bytes)));
}

}  // namespace spikeline::testing
