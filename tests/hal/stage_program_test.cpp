#include "hal/stage_program.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hal/cpu/cpu_backend.h"
#include "tests/hal/hal_test_util.h"
#include "tests/support/status_matchers.h"

namespace spikeline::hal {
namespace {

using testing::floats;
using testing::floatValues;
using ::testing::HasSubstr;
using testing::makeSpec;
using testing::setWeight;
using testing::spikeRows;

OperatorSpec named(OperatorSpec s, std::string name, std::vector<std::string> inputs = {}) {
  s.name = std::move(name);
  s.inputs = std::move(inputs);
  s.input_shape = Shape{};  // let the stage infer it
  return s;
}

// encode_direct -> if -> (fc: linear) ; residual: add(fc, enc) -> readout(membrane).
std::vector<OperatorSpec> residualStage() {
  OperatorSpec neuron = makeSpec("if", Shape{});
  neuron.params.set("v_threshold", 0.5);
  OperatorSpec fc = makeSpec("linear", Shape{});
  setWeight(fc, "weight", Shape{2, 2}, {1, 0, 0, 2});
  OperatorSpec readout = makeSpec("readout", Shape{});
  readout.params.set("mode", std::string("membrane"));
  readout.params.set("tau", 1.0);
  readout.params.set("dt", 1.0);  // membrane = last input
  return {named(makeSpec("encode_direct", Shape{}), "enc"), named(neuron, "spk", {"enc"}),
          named(fc, "fc", {"spk"}), named(makeSpec("add", Shape{}), "res", {"fc", "enc"}),
          named(readout, "out", {"res"})};
}

TEST(StageProgramTest, RunsDagWithResidualBranch) {
  auto cpu = std::move(makeCpuBackend({})).value();
  ASSERT_OK_AND_ASSIGN(auto program,
                       StageProgram::compile(*cpu, residualStage(), {Shape{2}, ValueKind::kDense}));
  EXPECT_EQ(program->size(), 5u);
  EXPECT_FALSE(program->output().output_has_time);
  // enc = [0.7, 0.2] each step; IF spikes for neuron 0 only on steps 0 and 1 (v 0.7, then
  // reset 0 + 0.7); fc = [1, 0]; res = [1.7, 0.2]; membrane (tau = dt) = last res.
  ASSERT_OK_AND_ASSIGN(Tensor out, program->run(floats(Shape{2}, 1, {0.7f, 0.2f}), {1, 2}));
  EXPECT_EQ(floatValues(out), (std::vector<float>{1.7f, 0.2f}));
}

// A residual join whose shortcut is the stage input itself (a SEW block in its own stage): the
// op names `input` (kStageInputName) beside an earlier op.
TEST(StageProgramTest, ResidualJoinReadsTheStageInputByName) {
  auto cpu = std::move(makeCpuBackend({})).value();
  std::vector<OperatorSpec> ops = residualStage();
  ops.erase(ops.begin());  // no encoder: the stage input is the dense current itself
  ops[0].inputs = {};      // spk reads the stage input
  ops[2].inputs = {"fc", std::string(kStageInputName)};
  ASSERT_OK_AND_ASSIGN(auto program,
                       StageProgram::compile(*cpu, ops, {Shape{2}, ValueKind::kDense}));
  ASSERT_OK_AND_ASSIGN(Tensor out, program->run(floats(Shape{2}, 2, {0.7f, 0.2f, 0.7f, 0.2f}),
                                                {1, 2}));
  EXPECT_EQ(floatValues(out), (std::vector<float>{1.7f, 0.2f}));  // as with the encoder above
}

TEST(StageProgramTest, RejectsUnknownInputNameAndKindMismatch) {
  auto cpu = std::move(makeCpuBackend({})).value();
  std::vector<OperatorSpec> ops = residualStage();
  ops[2].inputs = {"nope"};
  Result<std::unique_ptr<StageProgram>> r =
      StageProgram::compile(*cpu, ops, {Shape{2}, ValueKind::kDense});
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("op 'fc': inputs: 'nope'"));
  ops = residualStage();
  ops[1].inputs = {};
  ops[2].inputs = {};    // linear on the stage input is fine ...
  ops[1].kind = "iand";  // ... but iand needs spikes, the stage gives dense values
  r = StageProgram::compile(*cpu, ops, {Shape{2}, ValueKind::kDense});
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("op 'spk'"));
}

TEST(StageProgramTest, RejectsDeclaredShapeThatDisagreesAndBadFrame) {
  auto cpu = std::move(makeCpuBackend({})).value();
  std::vector<OperatorSpec> ops = residualStage();
  ops[2].output_shape = Shape{3};
  Result<std::unique_ptr<StageProgram>> r =
      StageProgram::compile(*cpu, ops, {Shape{2}, ValueKind::kDense});
  EXPECT_THAT(r.status().message(), HasSubstr("op 'fc': input_shape/output_shape"));
  ASSERT_OK_AND_ASSIGN(auto program,
                       StageProgram::compile(*cpu, residualStage(), {Shape{2}, ValueKind::kDense}));
  EXPECT_STATUS_CODE(program->run(floats(Shape{3}, 1, {1, 2, 3}), {}),
                     StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(StageProgram::compile(*cpu, {}, {Shape{2}, ValueKind::kDense}),
                     StatusCode::kInvalidArgument);
}

// T and kind are checked against the model before any operator runs (issue 14: a T = 4096 frame
// for a T = 16 model was computed, 256x the work).
TEST(StageProgramTest, RefusesAFrameWhoseTOrKindIsNotTheModelsBeforeCompute) {
  auto cpu = std::move(makeCpuBackend({})).value();
  ASSERT_OK_AND_ASSIGN(auto program,
                       StageProgram::compile(*cpu, residualStage(), {Shape{2}, ValueKind::kDense}));
  const RunContext t16{1, 16};
  std::vector<float> long_input(4096 * 2, 0.5f);
  auto r = program->run(floats(Shape{2}, 4096, long_input), t16);
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("stage input: T 4096, the model runs T 16"));
  EXPECT_OK(program->run(floats(Shape{2}, 16, std::vector<float>(32, 0.5f)), t16).status());
  EXPECT_OK(program->run(floats(Shape{2}, 1, {0.5f, 0.5f}), t16).status());  // a static input
  auto spikes = program->run(Tensor(SpikeTensor(Shape{2}, 16)), t16);
  EXPECT_THAT(spikes.status().message(), HasSubstr("stage input: spikes, expected dense values"));

  OperatorSpec fc = makeSpec("linear", Shape{});
  setWeight(fc, "weight", Shape{2, 2}, {1, 0, 0, 2});
  ASSERT_OK_AND_ASSIGN(auto spiking,
                       StageProgram::compile(*cpu, {named(fc, "fc")}, {Shape{2}, ValueKind::kSpikes}));
  EXPECT_OK(spiking->run(Tensor(SpikeTensor(Shape{2}, 16)), t16).status());
  EXPECT_THAT(spiking->run(Tensor(SpikeTensor(Shape{2}, 1)), t16).status().message(),
              HasSubstr("stage input: T 1, the model runs T 16"));
}

// Precision (issue 14): dense values of another element type than the ops reading the stage input
// take are refused before any op runs, naming both, also when that op reads the input late.
TEST(StageProgramTest, RefusesDenseValuesOfAnotherPrecisionBeforeCompute) {
  auto cpu = std::move(makeCpuBackend({})).value();
  const RunContext t2{1, 2};
  const Tensor ints(DenseTensor(Shape{2}, 2, std::vector<int32_t>{717, 205, 717, 205}));
  ASSERT_OK_AND_ASSIGN(auto f32,
                       StageProgram::compile(*cpu, residualStage(), {Shape{2}, ValueKind::kDense}));
  auto r = f32->run(ints, t2);
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(),
              HasSubstr("stage input: int32 values, op 'enc' (float32) takes float32 values "
                        "(float32 precision)"));

  // Fixed: the encoder quantises float32 itself, but the residual join reads the stage input too
  // and takes int32 activations only. Without the check, enc, spk and fc would run first.
  std::vector<OperatorSpec> ops = residualStage();
  for (OperatorSpec& op : ops) op.precision = Precision::kFixed;
  ops[3].inputs = {"fc", std::string(kStageInputName)};
  ASSERT_OK_AND_ASSIGN(auto fixed, StageProgram::compile(*cpu, ops, {Shape{2}, ValueKind::kDense}));
  auto f = fixed->run(floats(Shape{2}, 1, {0.7f, 0.2f}), t2);
  EXPECT_STATUS_CODE(f, StatusCode::kInvalidArgument);
  EXPECT_THAT(f.status().message(),
              HasSubstr("stage input: float32 values, op 'res' (fixed) takes int32 values at "
                        "2^-10 (fixed precision)"));
  EXPECT_OK(fixed->run(ints, t2).status());

  // An encoder alone takes either in fixed precision.
  std::vector<OperatorSpec> encoded = residualStage();
  for (OperatorSpec& op : encoded) op.precision = Precision::kFixed;
  ASSERT_OK_AND_ASSIGN(auto front,
                       StageProgram::compile(*cpu, encoded, {Shape{2}, ValueKind::kDense}));
  EXPECT_OK(front->run(floats(Shape{2}, 1, {0.7f, 0.2f}), t2).status());
  EXPECT_OK(front->run(ints, t2).status());
}

}  // namespace
}  // namespace spikeline::hal
