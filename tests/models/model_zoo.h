// The shipped model zoo as tests see it: one ZooModel per trained family, found from the
// PyTorch reference fixtures (tests/models/data/<file>_reference.json, written by
// models/train.py), with Fashion-MNIST test inputs framed as the model takes them and labels
// mapped to its classes. Header-only; tests only. Thread safety: plain values.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tensor.h"
#include "core/topology.h"
#include "loadgen/cli/inputs.h"

namespace spikeline::testing {

inline const std::filesystem::path kZooDir =
    std::filesystem::path(SPIKELINE_SOURCE_DIR) / "topology" / "models";
inline const std::filesystem::path kZooData =
    std::filesystem::path(SPIKELINE_SOURCE_DIR) / "tests" / "models" / "data";

struct ZooModel {
  std::string file;                // stem: topology/models/<file>.yaml (fixed), <file>_f32.yaml
  nlohmann::json reference;        // the PyTorch float32 outputs on the first test images
  std::vector<uint8_t> label_map;  // empty: Fashion-MNIST's labels

  std::filesystem::path fixedPath() const { return kZooDir / (file + ".yaml"); }
  std::filesystem::path floatPath() const { return kZooDir / (file + "_f32.yaml"); }
};

// Every family with a reference fixture, sorted by file name.
inline std::vector<ZooModel> zooModels() {
  std::vector<ZooModel> out;
  const std::string suffix = "_reference.json";
  if (!std::filesystem::exists(kZooData)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(kZooData)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= suffix.size() || !name.ends_with(suffix)) continue;
    ZooModel m;
    m.file = name.substr(0, name.size() - suffix.size());
    std::ifstream in(entry.path());
    m.reference = nlohmann::json::parse(in);
    if (m.reference.contains("label_map") && m.reference["label_map"].is_array()) {
      m.label_map = m.reference["label_map"].get<std::vector<uint8_t>>();
    }
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(),
            [](const ZooModel& a, const ZooModel& b) { return a.file < b.file; });
  return out;
}

// The first `count` Fashion-MNIST test images as `topology` takes them (one image, or one row
// per timestep for a sequence model), labels mapped with `label_map`.
inline Result<loadgen::cli::InputSet> zooInputs(const Topology& topology, uint32_t count,
                                                const std::vector<uint8_t>& label_map) {
  loadgen::cli::InputSpec spec;
  spec.kind = "fmnist";
  spec.count = count;
  spec.label_map = label_map;
  return loadgen::cli::loadInputs(spec, topology.input_shape, topology.timesteps);
}

// Argmax of a readout (ties: the lowest index), as the client library's predictedClass.
inline int argmaxOf(std::span<const float> v) {
  return v.empty() ? -1 : int(std::max_element(v.begin(), v.end()) - v.begin());
}

}  // namespace spikeline::testing
