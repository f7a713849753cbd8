// spikeline-make-example-weights: writes the deterministic pseudo-random weights of the shipped
// example models (topology/models/*.safetensors) and prints each file's sha256 for the YAML.
// Usage: spikeline-make-example-weights <output-dir>. Exceptions only here, in main().
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "topology/safetensors.h"
#include "topology/sha256.h"

namespace {

using spikeline::topology::SafetensorsTensorF32;

// SplitMix64: a fixed, portable generator, so the committed file can be regenerated bit for bit.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [-bound, bound), quantised to multiples of 2^-12 so values are exact in float32.
  float uniform(float bound) {
    const double u = double(next() >> 11) / double(1ull << 53);
    return float(std::round((2.0 * u - 1.0) * bound * 4096.0) / 4096.0);
  }
};

SafetensorsTensorF32 randomTensor(std::string name, std::vector<uint64_t> shape, float bound,
                                  SplitMix64& rng) {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  SafetensorsTensorF32 t{std::move(name), std::move(shape), {}};
  for (uint64_t i = 0; i < n; ++i) t.values.push_back(rng.uniform(bound));
  return t;
}

// fmnist_scnn: conv2d 1->8 k3 (fan-in 9), linear 8*7*7=392 -> 10.
std::vector<SafetensorsTensorF32> fmnistScnn() {
  SplitMix64 rng{20261122};
  return {randomTensor("conv1.weight", {8, 1, 3, 3}, 1.0f, rng),
          randomTensor("conv1.bias", {8}, 0.25f, rng),
          randomTensor("fc.weight", {10, 392}, 0.25f, rng),
          randomTensor("fc.bias", {10}, 0.25f, rng)};
}

int writeFile(const std::filesystem::path& path, const std::vector<SafetensorsTensorF32>& t) {
  auto bytes = spikeline::topology::encodeSafetensorsF32(t);
  if (!bytes.isOk()) {
    std::cerr << path.string() << ": " << bytes.status() << "\n";
    return 1;
  }
  std::ofstream out(path, std::ios::binary);
  out.write(bytes->data(), std::streamsize(bytes->size()));
  if (!out) {
    std::cerr << "cannot write " << path.string() << "\n";
    return 1;
  }
  std::cout << path.filename().string() << " " << bytes->size() << " bytes sha256 "
            << spikeline::topology::toHex(spikeline::topology::sha256(*bytes)) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: spikeline-make-example-weights <output-dir>\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  return writeFile(dir / "fmnist_scnn.safetensors", fmnistScnn());
}
