// The emulated chip as a device and as a Backend: compile/load/run bookkeeping, fault injection
// (core or chip, permanent or transient), health, and what the chip refuses.
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hal/chip/chip_backend.h"
#include "hal/chip/chip_device.h"
#include "tests/hal/hal_test_util.h"
#include "tests/support/status_matchers.h"

namespace spikeline::hal {
namespace {

using ::testing::HasSubstr;
using testing::makeSpec;
using testing::runOnce;

// A small chip so that operators span several cores: 8 cores of 4 neurons.
ChipConfig smallChip() {
  ChipConfig c;
  c.name = "t0";
  c.num_cores = 8;
  c.neurons_per_core = 4;
  c.synapse_entries_per_core = 64;
  c.max_fan_in = 64;
  return c;
}

OperatorSpec ifSpec(uint32_t neurons) {
  OperatorSpec s = makeSpec("if", Shape{neurons}, Precision::kFixed);
  s.params.set("v_threshold", 0.5);
  return s;
}

Tensor currents(uint32_t neurons) {
  return DenseTensor(Shape{neurons}, 2, std::vector<int32_t>(size_t(neurons) * 2, 1024));
}

class ChipDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<ChipDevice> device, openEmulatedChip(smallChip()));
    device_ = std::move(device);
    ASSERT_OK_AND_ASSIGN(backend_, makeChipBackend(ChipOptions{{}, device_}));
  }

  Status runIf(const CompiledOperator& op, uint32_t neurons) {
    const Tensor x = currents(neurons);
    const Tensor* in[] = {&x};
    return backend_->run(op, in, {}).status();
  }

  std::shared_ptr<ChipDevice> device_;
  std::unique_ptr<Backend> backend_;
};

TEST_F(ChipDeviceTest, CompileSpreadsNeuronsOverCoresAndLoadReservesThem) {
  ASSERT_OK_AND_ASSIGN(ChipMapping m, device_->compile(ifSpec(10)));
  ASSERT_EQ(m.placement.slices.size(), 3u);
  EXPECT_EQ(m.placement.slices[2], (CoreSlice{2, 8, 10, 0, 0}));
  ASSERT_OK_AND_ASSIGN(ChipProgramId id, device_->load(std::move(m)));
  EXPECT_EQ(device_->status().cores_in_use, 3u);
  ASSERT_OK_AND_ASSIGN(ChipMapping next, device_->compile(ifSpec(4)));
  EXPECT_EQ(next.placement.slices.front().core, 3u);  // cores 0-2 are taken
  ASSERT_OK(device_->unload(id));
  EXPECT_EQ(device_->status().cores_in_use, 0u);
  EXPECT_STATUS_CODE(device_->unload(id), StatusCode::kNotFound);
}

TEST_F(ChipDeviceTest, CompiledOperatorsFreeTheirCoresWhenDestroyed) {
  {
    ASSERT_OK_AND_ASSIGN(auto op, backend_->compile(ifSpec(32)));  // all 8 cores
    EXPECT_EQ(device_->status().cores_in_use, 8u);
    Result<std::unique_ptr<CompiledOperator>> more = backend_->compile(ifSpec(1));
    EXPECT_STATUS_CODE(more, StatusCode::kResourceExhausted);
    EXPECT_THAT(more.status().message(),
                HasSubstr("needs 1 cores, chip has 8 (0 free and healthy)"));
  }
  EXPECT_EQ(device_->status().cores_in_use, 0u);
  EXPECT_OK(backend_->compile(ifSpec(1)));
}

TEST_F(ChipDeviceTest, OperatorLargerThanTheChipNamesTheCoresItNeeds) {
  Result<std::unique_ptr<CompiledOperator>> r = backend_->compile(ifSpec(40));
  EXPECT_STATUS_CODE(r, StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(), HasSubstr("operator 'if0' (if): needs 10 cores, chip has 8"));
  EXPECT_STATUS_CODE(backend_->supports(ifSpec(40)), StatusCode::kResourceExhausted);
}

TEST_F(ChipDeviceTest, PermanentCoreFaultFailsRunsOnThatCoreOnly) {
  ASSERT_OK_AND_ASSIGN(auto on_faulty, backend_->compile(ifSpec(8)));  // cores 0, 1
  ASSERT_OK_AND_ASSIGN(auto elsewhere, backend_->compile(ifSpec(4)));  // core 2
  ASSERT_OK(device_->injectFault({{FaultScope::kCore, 1}, FaultDuration::kPermanent, 0}));
  const Status s = runIf(*on_faulty, 8);
  EXPECT_STATUS_CODE(s, StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("chip core 1 failed (injected, permanent)"));
  EXPECT_THAT(s.message(), HasSubstr("operator 'if0'"));
  EXPECT_OK(runIf(*elsewhere, 4));
  const BackendHealth h = backend_->health();
  EXPECT_EQ(h.state, HealthState::kDegraded);
  EXPECT_EQ(h.failed_cores, (std::vector<uint32_t>{1}));
  EXPECT_THAT(h.detail, HasSubstr("core 1 failed (injected, permanent)"));
  EXPECT_EQ(device_->status().counters.failed_runs, 1u);
  ASSERT_OK(device_->clearFault({FaultScope::kCore, 1}));
  EXPECT_OK(runIf(*on_faulty, 8));
  EXPECT_EQ(backend_->health().state, HealthState::kHealthy);
}

TEST_F(ChipDeviceTest, TransientCoreFaultFailsTheNextRunsThenHeals) {
  ASSERT_OK_AND_ASSIGN(auto op, backend_->compile(ifSpec(4)));  // core 0
  ASSERT_OK(device_->injectFault({{FaultScope::kCore, 0}, FaultDuration::kTransient, 2}));
  const Status first = runIf(*op, 4);
  EXPECT_STATUS_CODE(first, StatusCode::kUnavailable);
  EXPECT_THAT(first.message(),
              HasSubstr("chip core 0 failed (injected, transient: fails 1 more run)"));
  const Status second = runIf(*op, 4);
  EXPECT_THAT(second.message(), HasSubstr("transient: heals after this run"));
  EXPECT_OK(runIf(*op, 4));
  EXPECT_EQ(backend_->health().state, HealthState::kHealthy);
}

TEST_F(ChipDeviceTest, TransientFaultWithoutCountLastsUntilCleared) {
  ASSERT_OK_AND_ASSIGN(auto op, backend_->compile(ifSpec(4)));
  ASSERT_OK(device_->injectFault({{FaultScope::kCore, 0}, FaultDuration::kTransient, 0}));
  for (int i = 0; i < 3; ++i) EXPECT_STATUS_CODE(runIf(*op, 4), StatusCode::kUnavailable);
  device_->clearAllFaults();
  EXPECT_OK(runIf(*op, 4));
}

TEST_F(ChipDeviceTest, WholeChipFaultFailsEveryRunAndCompile) {
  ASSERT_OK_AND_ASSIGN(auto op, backend_->compile(ifSpec(4)));
  ASSERT_OK(device_->injectFault({{FaultScope::kChip, 0}, FaultDuration::kPermanent, 0}));
  const Status run = runIf(*op, 4);
  EXPECT_STATUS_CODE(run, StatusCode::kUnavailable);
  EXPECT_THAT(run.message(), HasSubstr("chip t0 failed (injected, permanent)"));
  EXPECT_STATUS_CODE(backend_->compile(ifSpec(4)), StatusCode::kUnavailable);
  EXPECT_EQ(backend_->health().state, HealthState::kFailed);
  ASSERT_OK(device_->clearFault({FaultScope::kChip, 0}));
  EXPECT_OK(runIf(*op, 4));
}

TEST_F(ChipDeviceTest, CompileMapsAroundFailedCores) {
  ASSERT_OK(device_->injectFault({{FaultScope::kCore, 0}, FaultDuration::kPermanent, 0}));
  ASSERT_OK(device_->injectFault({{FaultScope::kCore, 2}, FaultDuration::kPermanent, 0}));
  ASSERT_OK_AND_ASSIGN(ChipMapping m, device_->compile(ifSpec(12)));
  std::vector<uint32_t> cores;
  for (const CoreSlice& s : m.placement.slices) cores.push_back(s.core);
  EXPECT_EQ(cores, (std::vector<uint32_t>{1, 3, 4}));
  Result<ChipMapping> too_big = device_->compile(ifSpec(28));
  EXPECT_THAT(too_big.status().message(),
              HasSubstr("needs 7 cores, chip has 8 (6 free and healthy)"));
}

TEST_F(ChipDeviceTest, LoadRefusesACoreThatFailedAfterCompile) {
  ASSERT_OK_AND_ASSIGN(ChipMapping m, device_->compile(ifSpec(4)));
  ASSERT_OK(device_->injectFault({{FaultScope::kCore, 0}, FaultDuration::kPermanent, 0}));
  Result<ChipProgramId> id = device_->load(std::move(m));
  EXPECT_STATUS_CODE(id, StatusCode::kUnavailable);
  EXPECT_THAT(id.status().message(), HasSubstr("chip core 0 failed"));
}

TEST_F(ChipDeviceTest, FaultOnACoreOutsideTheChipIsRejected) {
  EXPECT_STATUS_CODE(device_->injectFault({{FaultScope::kCore, 8}, FaultDuration::kPermanent, 0}),
                     StatusCode::kInvalidArgument);
}

TEST_F(ChipDeviceTest, AllCoresFailedIsAFailedChip) {
  for (uint32_t c = 0; c < 8; ++c) {
    ASSERT_OK(device_->injectFault({{FaultScope::kCore, c}, FaultDuration::kPermanent, 0}));
  }
  EXPECT_EQ(backend_->health().state, HealthState::kFailed);
  EXPECT_EQ(backend_->health().failed_cores.size(), 8u);
}

TEST_F(ChipDeviceTest, CountersTrackFramesEventsAndNeuronUpdates) {
  OperatorSpec fc = makeSpec("linear", Shape{3}, Precision::kFixed);
  testing::setWeight(fc, "weight", Shape{2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f});
  const Tensor x = testing::spikes(Shape{3}, {"101", "010"});
  ASSERT_OK(runOnce(*backend_, fc, {x}).status());
  const ChipCounters c = device_->status().counters;
  EXPECT_EQ(c.frames, 1u);
  EXPECT_EQ(c.timesteps, 2u);
  EXPECT_EQ(c.spikes_routed, 3u);    // one core holds both neurons
  EXPECT_EQ(c.synaptic_events, 6u);  // each spike reaches 2 synapses
  EXPECT_EQ(c.neuron_updates, 4u);
}

TEST_F(ChipDeviceTest, PerRowLinearStoresAndRoutesOnlyItsRowsSynapses) {
  // 3 rows of 4 inputs -> 3 rows of 2 outputs: 6 neurons of fan-in 4, 24 synapses (not 6 x 12).
  OperatorSpec fc = makeSpec("linear", Shape{3, 4}, Precision::kFixed);
  testing::setWeight(fc, "weight", Shape{2, 4}, {1, 0, -1, 0.5f, 0.5f, 0.5f, 0, 1});
  ASSERT_OK_AND_ASSIGN(ChipMapping m, device_->compile(fc));
  ASSERT_EQ(m.placement.slices.size(), 2u);
  EXPECT_EQ(m.placement.slices[0], (CoreSlice{0, 0, 4, 16, 4}));  // rows 0 and 1
  EXPECT_EQ(m.placement.slices[1], (CoreSlice{1, 4, 6, 8, 4}));   // row 2
  const Tensor x = testing::spikes(Shape{3, 4}, {"100000000001"});
  ASSERT_OK(runOnce(*backend_, fc, {x}).status());
  const ChipCounters c = device_->status().counters;
  EXPECT_EQ(c.spikes_routed, 2u);    // address 0 to core 0 only, address 11 to core 1 only
  EXPECT_EQ(c.synaptic_events, 4u);  // each spike reaches its row's 2 neurons
  EXPECT_EQ(c.neuron_updates, 6u);
}

TEST_F(ChipDeviceTest, FloatPrecisionIsUnimplemented) {
  OperatorSpec s = ifSpec(4);
  s.precision = Precision::kFloat32;
  const Status st = backend_->compile(s).status();
  EXPECT_STATUS_CODE(st, StatusCode::kUnimplemented);
  EXPECT_THAT(st.message(), HasSubstr("fixed precision only"));
  EXPECT_STATUS_CODE(backend_->supports(s), StatusCode::kUnimplemented);
  EXPECT_EQ(backend_->info().precisions, (std::vector<Precision>{Precision::kFixed}));
}

TEST_F(ChipDeviceTest, SelfAttentionIsUnimplementedWithAReason) {
  OperatorSpec s = makeSpec("self_attention", Shape{4, 8}, Precision::kFixed);
  const Status st = backend_->supports(s);
  EXPECT_STATUS_CODE(st, StatusCode::kUnimplemented);
  EXPECT_THAT(st.message(), HasSubstr("Q K^T"));
}

TEST_F(ChipDeviceTest, RunRejectsAnOperatorOfAnotherBackend) {
  ASSERT_OK_AND_ASSIGN(auto other, makeChipBackend(ChipOptions{smallChip(), nullptr}));
  ASSERT_OK_AND_ASSIGN(auto op, other->compile(ifSpec(4)));
  EXPECT_STATUS_CODE(runIf(*op, 4), StatusCode::kInvalidArgument);
  EXPECT_EQ(backend_->info().name, "chip:t0");
  EXPECT_EQ(backend_->info().kind, BackendKind::kChip);
}

TEST_F(ChipDeviceTest, RunRejectsInputsThatDoNotMatchTheOperator) {
  ASSERT_OK_AND_ASSIGN(auto op, backend_->compile(ifSpec(4)));
  const Tensor wrong_shape = currents(5);
  const Tensor spikes = testing::spikes(Shape{4}, {"1010"});
  const Tensor floats = testing::floats(Shape{4}, 1, {0.5f, 0.5f, 0.5f, 0.5f});
  for (const Tensor* x : {&wrong_shape, &spikes, &floats}) {
    const Tensor* in[] = {x};
    const Status s = backend_->run(*op, in, {}).status();
    EXPECT_STATUS_CODE(s, StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr("inputs: "));
  }
  EXPECT_EQ(device_->status().counters.frames, 0u);
}

TEST(ChipConfigTest, InvalidConfigIsRejected) {
  ChipConfig c;
  c.neurons_per_core = 0;
  EXPECT_STATUS_CODE(openEmulatedChip(c), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(makeChipBackend(ChipOptions{c, nullptr}), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spikeline::hal
