#include "loadgen/cli/inputs.h"

#include <algorithm>
#include <charconv>
#include <random>
#include <utility>

#include "core/dense_tensor.h"
#include "loadgen/idx_reader.h"

namespace spikeline::loadgen::cli {
namespace {

Result<InputSet> fromImages(const ImageSet& images, const Shape& shape, uint32_t timesteps,
                            const InputSpec& spec) {
  const uint64_t pixels = uint64_t(images.rows) * images.cols;
  uint32_t steps = 1;
  if (pixels != shape.numel()) {
    if (timesteps <= 1 || pixels != shape.numel() * timesteps) {
      return invalidArgument("images are " + std::to_string(images.rows) + "x" +
                             std::to_string(images.cols) + " but the model's input has " +
                             std::to_string(shape.numel()) + " values per timestep (T = " +
                             std::to_string(timesteps) + "): neither one image per request nor " +
                             "one slice of it per timestep fits");
    }
    steps = timesteps;
  }
  InputSet set;
  const uint32_t n = std::min(images.count, spec.count);
  for (uint32_t i = 0; i < n; ++i) {
    const uint8_t label = images.labels[i];
    if (!spec.label_map.empty() && label >= spec.label_map.size()) {
      return invalidArgument("--label-map has " + std::to_string(spec.label_map.size()) +
                             " entries, image " + std::to_string(i) + " has label " +
                             std::to_string(label));
    }
    std::vector<float> px;
    px.reserve(pixels);
    for (uint8_t p : images.image(i)) px.push_back(float(p) / 255.0f);
    set.tensors.emplace_back(DenseTensor(shape, steps, std::move(px)));
    set.labels.push_back(spec.label_map.empty() ? label : spec.label_map[label]);
  }
  return set;
}

InputSet randomImages(const InputSpec& spec, const Shape& shape) {
  InputSet set;
  std::mt19937_64 rng(spec.seed);
  std::bernoulli_distribution on(spec.density);
  for (uint32_t i = 0; i < spec.count; ++i) {
    std::vector<float> px(shape.numel());
    for (float& p : px) p = on(rng) ? 1.0f : 0.0f;
    set.tensors.emplace_back(DenseTensor(shape, 1, std::move(px)));
  }
  return set;
}

}  // namespace

Result<std::vector<uint8_t>> parseLabelMap(const std::string& text) {
  std::vector<uint8_t> map;
  size_t begin = 0;
  while (begin <= text.size()) {
    const size_t end = std::min(text.find(',', begin), text.size());
    const std::string item = text.substr(begin, end - begin);
    int value = -1;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || value < 0 ||
        value > 255) {
      return invalidArgument("--label-map entry " + std::to_string(map.size()) + " ('" + item +
                             "') must be a class number in [0, 255]");
    }
    map.push_back(uint8_t(value));
    begin = end + 1;
  }
  return map;
}

Result<InputSet> loadInputs(const InputSpec& spec, const Shape& input_shape, uint32_t timesteps) {
  if (spec.count == 0) return invalidArgument("--input-count must be >= 1");
  if (spec.kind == "random") {
    if (!(spec.density >= 0.0 && spec.density <= 1.0)) {
      return invalidArgument("--density must be in [0, 1]");
    }
    return randomImages(spec, input_shape);
  }
  if (spec.kind == "fmnist" || spec.kind == "dir") {
    const std::string dir =
        spec.kind == "fmnist" && spec.dir.empty() ? std::string(kFashionMnistDir) : spec.dir;
    SPIKELINE_ASSIGN_OR_RETURN(ImageSet images, readFashionMnist(dir, /*test_split=*/true));
    return fromImages(images, input_shape, timesteps, spec);
  }
  return invalidArgument("--input must be fmnist, random or a --input-dir, got '" + spec.kind + "'");
}

}  // namespace spikeline::loadgen::cli
