#include "loadgen/cli/inputs.h"

#include <random>
#include <utility>

#include "core/dense_tensor.h"
#include "loadgen/idx_reader.h"

namespace spikeline::loadgen::cli {
namespace {

Result<InputSet> fromImages(const ImageSet& images, const Shape& shape, uint32_t limit) {
  if (uint64_t(images.rows) * images.cols != shape.numel()) {
    return invalidArgument("images are " + std::to_string(images.rows) + "x" +
                           std::to_string(images.cols) + " but the model's input has " +
                           std::to_string(shape.numel()) + " values");
  }
  InputSet set;
  const uint32_t n = std::min(images.count, limit);
  for (uint32_t i = 0; i < n; ++i) {
    std::vector<float> px;
    px.reserve(shape.numel());
    for (uint8_t p : images.image(i)) px.push_back(float(p) / 255.0f);
    set.tensors.emplace_back(DenseTensor(shape, 1, std::move(px)));
    set.labels.push_back(images.labels[i]);
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

Result<InputSet> loadInputs(const InputSpec& spec, const Shape& input_shape) {
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
    return fromImages(images, input_shape, spec.count);
  }
  return invalidArgument("--input must be fmnist, random or a --input-dir, got '" + spec.kind + "'");
}

}  // namespace spikeline::loadgen::cli
