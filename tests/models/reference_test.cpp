// The trained model zoo against its references, in-process (no sockets):
// - float32: the C++ CPU backend reproduces the PyTorch forward pass of models/train.py on the
//   first 256 Fashion-MNIST test images (predictions on >= 99.5 %, readouts within tolerance);
// - fixed: the CPU reference and the model as placed (its chip stages on the emulated chip) give
//   bit-identical outputs;
// - both precisions are accurate (the weights are trained, not random) and fixed stays within
//   2 points of float32 on these images;
// - granularity: one stage, the shipped split and the finest legal split give identical bits.
#include <gtest/gtest.h>

#include <cmath>

#include "hal/chip/chip_backend.h"
#include "hal/cpu/cpu_backend.h"
#include "tests/models/model_zoo.h"
#include "tests/support/status_matchers.h"
#include "topology/topology_loader.h"
#include "workers/client/loadgen_target.h"
#include "workers/monolith.h"
#include "workers/pipeline_plan.h"

namespace spikeline::testing {
namespace {

constexpr uint32_t kImages = 256;
constexpr uint32_t kChipImages = 24;  // the emulator is slower; bits either match or do not
// Float32 readout tolerance against PyTorch: |y - y_ref| <= kAbs + kRel * |y_ref| for every
// value of a request. Summation order differs (docs/operators.md), and a membrane within ~1e-6
// of the threshold may spike on one side only; such a request may exceed it, hence a budget.
constexpr double kAbs = 1e-3, kRel = 1e-3;
constexpr double kMaxRequestsOutOfTolerance = 0.02;

class ZooTest : public ::testing::TestWithParam<ZooModel> {};

// The model as deployed on one cpu and one chip: stages that prefer the chip run on it, the
// others (e.g. self_attention, which the chip cannot run) on the CPU, chained in process.
class PlacedModel {
 public:
  static std::unique_ptr<PlacedModel> make(const Topology& t, hal::Backend& cpu,
                                           hal::Backend& chip) {
    auto plans = workers::planStages(t);
    EXPECT_TRUE(plans.isOk()) << plans.status().toString();
    if (!plans.isOk()) return nullptr;
    auto m = std::make_unique<PlacedModel>();
    m->topology_ = t;
    for (const workers::StagePlan& plan : *plans) {
      const auto& backends = t.stages[plan.index].placement.backends;
      const bool on_chip = !backends.empty() && backends.front() == BackendKind::kChip;
      auto program = workers::compileStage(on_chip ? chip : cpu, plan);
      EXPECT_TRUE(program.isOk()) << plan.name << ": " << program.status().toString();
      if (!program.isOk()) return nullptr;
      m->chip_stages_ += on_chip;
      m->stages_.push_back(std::move(program).value());
    }
    return m;
  }
  Result<Tensor> run(const Tensor& input, RequestId id) const {
    Tensor current = input;
    for (const auto& stage : stages_) {
      SPIKELINE_ASSIGN_OR_RETURN(current, stage->run(current, workers::runContextFor(topology_, id)));
    }
    return current;
  }
  int chipStages() const { return chip_stages_; }

 private:
  Topology topology_;
  std::vector<std::unique_ptr<hal::StageProgram>> stages_;
  int chip_stages_ = 0;
};

std::unique_ptr<workers::Monolith> monolithOn(hal::Backend& backend, const Topology& t) {
  auto m = workers::Monolith::make(backend, t);
  EXPECT_TRUE(m.isOk()) << m.status().toString();
  return m.isOk() ? std::move(m).value() : nullptr;
}

TEST_P(ZooTest, Float32MatchesThePyTorchReference) {
  const ZooModel& z = GetParam();
  ASSERT_OK_AND_ASSIGN(Topology t, topology::loadTopologyFile(z.floatPath()));
  ASSERT_EQ(t.precision, Precision::kFloat32);
  ASSERT_OK_AND_ASSIGN(auto cpu, hal::makeCpuBackend(hal::CpuOptions{}));
  auto mono = monolithOn(*cpu, t);
  ASSERT_NE(mono, nullptr);
  const auto& preds = z.reference.at("predictions");
  const auto& readouts = z.reference.at("readout");
  const uint32_t n = std::min<uint32_t>(kImages, uint32_t(preds.size()));
  ASSERT_GE(n, 200u) << "the fixture holds too few references";
  ASSERT_OK_AND_ASSIGN(auto inputs, zooInputs(t, n, z.label_map));
  int same_prediction = 0, out_of_tolerance = 0, correct = 0;
  double worst = 0;
  for (uint32_t i = 0; i < n; ++i) {
    ASSERT_OK_AND_ASSIGN(Tensor out, mono->run(inputs.tensors[i], i + 1));
    const auto values = std::get<DenseTensor>(out).floats();
    ASSERT_EQ(values.size(), readouts[i].size());
    const int pred = argmaxOf(values);
    same_prediction += pred == preds[i].get<int>();
    correct += pred == inputs.labels[i];
    bool within = true;
    for (size_t k = 0; k < values.size(); ++k) {
      const double ref = readouts[i][k].get<double>();
      const double err = std::abs(double(values[k]) - ref);
      worst = std::max(worst, err);
      within = within && err <= kAbs + kRel * std::abs(ref);
    }
    out_of_tolerance += !within;
  }
  EXPECT_GE(same_prediction, std::ceil(0.995 * n))
      << z.file << ": " << n - same_prediction << " of " << n << " predictions differ";
  EXPECT_LE(out_of_tolerance, kMaxRequestsOutOfTolerance * n)
      << z.file << ": worst readout error " << worst;
  EXPECT_GE(correct, 0.75 * n) << z.file << ": accuracy " << 100.0 * correct / n << "%";
  std::cout << "[ zoo ] " << z.file << " float32: " << same_prediction << "/" << n
            << " predictions equal PyTorch, " << out_of_tolerance
            << " requests outside tolerance (worst |dy| " << worst << "), accuracy "
            << 100.0 * correct / n << "%\n";
}

TEST_P(ZooTest, FixedIsAccurateAndBitIdenticalOnCpuAndChip) {
  const ZooModel& z = GetParam();
  ASSERT_OK_AND_ASSIGN(Topology fixed, topology::loadTopologyFile(z.fixedPath()));
  ASSERT_OK_AND_ASSIGN(Topology flt, topology::loadTopologyFile(z.floatPath()));
  ASSERT_EQ(fixed.precision, Precision::kFixed);
  ASSERT_OK_AND_ASSIGN(auto cpu, hal::makeCpuBackend(hal::CpuOptions{}));
  ASSERT_OK_AND_ASSIGN(auto chip, hal::makeChipBackend(hal::ChipOptions{}));
  auto on_cpu = monolithOn(*cpu, fixed);
  auto on_chip = PlacedModel::make(fixed, *cpu, *chip);
  auto reference = monolithOn(*cpu, flt);
  ASSERT_TRUE(on_cpu && on_chip && reference);
  EXPECT_GE(on_chip->chipStages(), 1) << z.file << ": no stage prefers the chip";
  ASSERT_OK_AND_ASSIGN(auto inputs, zooInputs(fixed, kImages, z.label_map));
  int correct_fixed = 0, correct_float = 0;
  for (uint32_t i = 0; i < kImages; ++i) {
    ASSERT_OK_AND_ASSIGN(Tensor a, on_cpu->run(inputs.tensors[i], i + 1));
    ASSERT_OK_AND_ASSIGN(Tensor f, reference->run(inputs.tensors[i], i + 1));
    correct_fixed += client::predictedClass(a) == inputs.labels[i];
    correct_float += client::predictedClass(f) == inputs.labels[i];
    if (i < kChipImages) {
      ASSERT_OK_AND_ASSIGN(Tensor b, on_chip->run(inputs.tensors[i], i + 1));
      EXPECT_TRUE(a == b) << z.file << ": image " << i << " differs between cpu and chip";
    }
  }
  EXPECT_GE(correct_fixed, 0.75 * kImages);
  EXPECT_GE(correct_fixed, correct_float - 0.02 * kImages)
      << z.file << ": fixed " << correct_fixed << " vs float32 " << correct_float << " correct";
  std::cout << "[ zoo ] " << z.file << " fixed: accuracy " << 100.0 * correct_fixed / kImages
            << "% (float32 " << 100.0 * correct_float / kImages << "%), cpu == chip ("
            << on_chip->chipStages() << " stages on the chip) on " << kChipImages << " images\n";
}

std::string nameOf(const ::testing::TestParamInfo<ZooModel>& info) {
  std::string s = info.param.file;
  std::erase(s, '_');
  return s;
}

INSTANTIATE_TEST_SUITE_P(Shipped, ZooTest, ::testing::ValuesIn(zooModels()), nameOf);

// Stage granularity is a deployment choice: the same operators split into one stage, the
// shipped stages or the finest legal split give the same bits (fixed precision).
class GranularityTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GranularityTest, OneStageShippedSplitAndFinestSplitAgreeBitForBit) {
  const std::string file = GetParam();
  ASSERT_OK_AND_ASSIGN(Topology shipped, topology::loadTopologyFile(kZooDir / (file + ".yaml")));
  ASSERT_OK_AND_ASSIGN(Topology one,
                       topology::loadTopologyFile(kZooDir / (file + "_monolith.yaml")));
  ASSERT_OK_AND_ASSIGN(Topology finest,
                       topology::loadTopologyFile(kZooData / (file + "_finest.yaml")));
  EXPECT_EQ(one.stages.size(), 1u);
  EXPECT_GT(finest.stages.size(), shipped.stages.size());
  ASSERT_EQ(one.operators.size(), shipped.operators.size());
  for (size_t i = 0; i < one.operators.size(); ++i) {
    EXPECT_EQ(one.operators[i].id, shipped.operators[i].id) << one.operators[i].name;
    EXPECT_EQ(finest.operators[i].id, shipped.operators[i].id) << finest.operators[i].name;
  }
  ASSERT_OK_AND_ASSIGN(auto cpu, hal::makeCpuBackend(hal::CpuOptions{}));
  auto a = monolithOn(*cpu, one);
  auto b = monolithOn(*cpu, shipped);
  auto c = monolithOn(*cpu, finest);
  ASSERT_TRUE(a && b && c);
  ASSERT_OK_AND_ASSIGN(auto inputs, zooInputs(shipped, 64, {}));
  for (uint32_t i = 0; i < 64; ++i) {
    ASSERT_OK_AND_ASSIGN(Tensor x, a->run(inputs.tensors[i], i + 1));
    ASSERT_OK_AND_ASSIGN(Tensor y, b->run(inputs.tensors[i], i + 1));
    ASSERT_OK_AND_ASSIGN(Tensor z, c->run(inputs.tensors[i], i + 1));
    EXPECT_TRUE(x == y && y == z) << file << ": image " << i;
  }
  std::cout << "[ zoo ] " << file << ": 1, " << shipped.stages.size() << " and "
            << finest.stages.size() << " stages agree on 64 images\n";
}

INSTANTIATE_TEST_SUITE_P(Shipped, GranularityTest,
                         ::testing::Values("fmnist_scnn", "fmnist_sew_resnet"));

}  // namespace
}  // namespace spikeline::testing
