// The one conformance suite: every backend in conformanceBackends() against the CPU reference,
// over operator x precision x random shapes/densities. fixed: outputs equal bit for bit. float32:
// the tolerances of docs/operators.md (dense values within 1e-4 + 1e-5 |ref|; neuron spikes may
// differ only where the reference membrane is within 1e-5 of the threshold).
#include <cmath>
#include <sstream>

#include <gtest/gtest.h>

#include "hal/cpu/cpu_backend.h"
#include "hal/op_params.h"
#include "tests/hal/conformance_backends.h"
#include "tests/hal/conformance_cases.h"
#include "tests/support/status_matchers.h"

namespace spikeline::hal {
namespace {

using testing::BackendFactory;
using testing::ConformanceCase;
using Param =
    std::tuple<std::string, std::string, Precision, int>;  // backend, case, precision, seed

BackendFactory factoryNamed(const std::string& name) {
  for (BackendFactory& f : testing::conformanceBackends()) {
    if (f.name == name) return f;
  }
  return {};
}

Result<Tensor> runOn(Backend& b, const ConformanceCase& c) {
  SPIKELINE_ASSIGN_OR_RETURN(std::unique_ptr<CompiledOperator> op, b.compile(c.spec));
  std::vector<const Tensor*> in;
  for (const Tensor& t : c.inputs) in.push_back(&t);
  return b.run(*op, in, c.ctx);
}

// Float spikes of lif/if/recurrent_lif: replays the reference membrane (driven by the reference
// spikes) and accepts a differing spike only where |v - threshold| < 1e-5; a neuron (every neuron,
// for recurrent_lif) is not compared after its first accepted difference.
void expectSpikesWithinTolerance(const ConformanceCase& c, const SpikeTensor& ref,
                                 const SpikeTensor& got) {
  Result<NeuronConfig> cfg = neuronConfig(c.spec);
  ASSERT_OK(cfg);
  const auto& x = std::get<DenseTensor>(c.inputs[0]).floats();
  const uint32_t n = ref.numNeurons();
  const bool recurrent = c.spec.kind == "recurrent_lif";
  const auto& w = recurrent ? c.spec.weights.at("recurrent").values : std::vector<float>{};
  std::vector<float> v(n, 0.0f);
  std::vector<bool> diverged(n, false);
  bool all_diverged = false;
  for (uint32_t t = 0; t < ref.timesteps() && !all_diverged; ++t) {
    bool any = false;
    for (uint32_t i = 0; i < n; ++i) {
      float current = x[size_t(t) * n + i];
      if (recurrent && t > 0) {
        ref.forEachSpike(t - 1, [&](uint32_t j) { current += w[size_t(i) * n + j]; });
      }
      const float th = cfg->leaky ? cfg->lif.v_threshold : cfg->if_f.v_threshold;
      const float pre =
          cfg->leaky ? cfg->lif.integrate(v[i], current) : v[i] + cfg->if_f.gain * current;
      if (!diverged[i] && ref.get(t, i) != got.get(t, i)) {
        EXPECT_LT(std::fabs(pre - th), 1e-5f) << "neuron " << i << " step " << t << " v " << pre;
        diverged[i] = true;
        any = true;
      }
      const bool s = cfg->leaky ? cfg->lif.step(v[i], current) : cfg->if_f.step(v[i], current);
      EXPECT_EQ(s, ref.get(t, i));  // the replay matches the reference
    }
    all_diverged = recurrent && any;
  }
}

// Input element (t, i) as a float: a spike counts 1.0.
float floatAt(const Tensor& x, uint32_t t, uint32_t i) {
  if (const auto* s = std::get_if<SpikeTensor>(&x)) return s->get(t, i) ? 1.0f : 0.0f;
  const DenseTensor& d = std::get<DenseTensor>(x);
  return d.floats()[size_t(t) * d.shape().numel() + i];
}

// The same rule for the spiking NIR neurons (cuba_lif, with or without recurrence; threshold):
// the reference's pre-reset membrane is replayed with the shared step.
void expectNirSpikesWithinTolerance(const ConformanceCase& c, const SpikeTensor& ref,
                                    const SpikeTensor& got) {
  Result<NirNeuronConfig> cfg = nirNeuronConfig(c.spec);
  ASSERT_OK(cfg);
  math::NirNeuronFloat no_spike = cfg->f;
  no_spike.spiking = false;
  const uint32_t n = ref.numNeurons();
  const auto& w = cfg->recurrent ? c.spec.weights.at("recurrent").values : std::vector<float>{};
  std::vector<float> cur(n, 0.0f), v(n, 0.0f);
  std::vector<bool> diverged(n, false);
  bool all_diverged = false;
  for (uint32_t t = 0; t < ref.timesteps() && !all_diverged; ++t) {
    bool any = false;
    for (uint32_t i = 0; i < n; ++i) {
      float x = floatAt(c.inputs[0], t, i);
      if (cfg->recurrent && t > 0) {
        ref.forEachSpike(t - 1, [&](uint32_t j) { x += w[size_t(i) * n + j]; });
      }
      float cur_pre = cur[i], pre = v[i];
      no_spike.step(cur_pre, pre, x);
      if (!diverged[i] && ref.get(t, i) != got.get(t, i)) {
        EXPECT_LT(std::fabs(pre - cfg->f.mem.v_threshold), 1e-5f)
            << "neuron " << i << " step " << t << " v " << pre;
        diverged[i] = true;
        any = true;
      }
      EXPECT_EQ(cfg->f.step(cur[i], v[i], x), ref.get(t, i));  // the replay matches
    }
    all_diverged = cfg->recurrent && any;
  }
}

void expectDenseWithinTolerance(const DenseTensor& ref, const DenseTensor& got) {
  ASSERT_EQ(ref.dtype(), got.dtype());
  ASSERT_EQ(ref.size(), got.size());
  for (size_t i = 0; i < ref.size(); ++i) {
    const float r = ref.floats()[i], g = got.floats()[i];
    EXPECT_LE(std::fabs(r - g), 1e-4f + 1e-5f * std::fabs(r)) << "element " << i;
  }
}

class ConformanceTest : public ::testing::TestWithParam<Param> {};

TEST_P(ConformanceTest, MatchesCpuReference) {
  const auto& [backend_name, case_name, precision, seed] = GetParam();
  Result<std::unique_ptr<Backend>> backend = factoryNamed(backend_name).make();
  if (!backend.isOk() && backend.status().code() == StatusCode::kUnavailable) {
    GTEST_SKIP() << backend_name << " unavailable: " << backend.status().message();
  }
  ASSERT_OK(backend);
  const ConformanceCase c = testing::makeConformanceCase(case_name, precision, uint64_t(seed));
  Status supported = (*backend)->supports(c.spec);
  if (supported.code() == StatusCode::kUnimplemented) {
    GTEST_SKIP() << backend_name << " does not support this case: " << supported.message();
  }
  ASSERT_OK(supported);
  auto cpu = std::move(makeCpuBackend({})).value();
  ASSERT_OK_AND_ASSIGN(Tensor ref, runOn(*cpu, c));
  ASSERT_OK_AND_ASSIGN(Tensor got, runOn(**backend, c));
  ASSERT_EQ(isSpikes(ref), isSpikes(got));
  ASSERT_EQ(tensorShape(ref), tensorShape(got));
  ASSERT_EQ(tensorTimesteps(ref), tensorTimesteps(got));
  if (precision == Precision::kFixed) {
    EXPECT_TRUE(ref == got) << "fixed precision must be bit-identical";
  } else if (!isSpikes(ref)) {
    expectDenseWithinTolerance(std::get<DenseTensor>(ref), std::get<DenseTensor>(got));
  } else if (c.spec.kind == "lif" || c.spec.kind == "if" || c.spec.kind == "recurrent_lif") {
    expectSpikesWithinTolerance(c, std::get<SpikeTensor>(ref), std::get<SpikeTensor>(got));
  } else if (isNirNeuronKind(c.spec.kind)) {
    expectNirSpikesWithinTolerance(c, std::get<SpikeTensor>(ref), std::get<SpikeTensor>(got));
  } else {
    EXPECT_TRUE(ref == got) << "encoder/pool/iand/delay spikes are exact in float32 too";
  }
}

// Fixed precision approximates float32 (decision 0001): for the NIR kinds with dense output, the
// CPU reference's fixed result (at 2^-F) stays within quantisation error of its float32 result
// on the same case (same weights; inputs rounded to 2^-F). Catches a fixed formula that is
// bit-identical on every backend but computes something else.
class FixedTracksFloatTest : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(FixedTracksFloatTest, WithinQuantisationError) {
  const auto& [case_name, seed] = GetParam();
  const ConformanceCase cf = testing::makeConformanceCase(case_name, Precision::kFloat32, seed);
  const ConformanceCase cq = testing::makeConformanceCase(case_name, Precision::kFixed, seed);
  auto cpu = std::move(makeCpuBackend({})).value();
  ASSERT_OK_AND_ASSIGN(Tensor f, runOn(*cpu, cf));
  ASSERT_OK_AND_ASSIGN(Tensor q, runOn(*cpu, cq));
  const auto ff = std::get<DenseTensor>(f).floats();
  const auto qq = std::get<DenseTensor>(q).ints();
  ASSERT_EQ(ff.size(), qq.size());
  const double unit = std::ldexp(1.0, -int(cq.spec.frac_bits));
  for (size_t i = 0; i < ff.size(); ++i) {
    EXPECT_NEAR(double(qq[i]) * unit, ff[i], 0.05 + 0.02 * std::fabs(ff[i])) << "element " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(NirKinds, FixedTracksFloatTest,
                         ::testing::Combine(::testing::Values("li", "integrator", "cuba_li",
                                                              "delay_dense", "scale_spikes",
                                                              "scale_dense", "conv1d",
                                                              "conv1d_groups_stride"),
                                            ::testing::Range(0, 4)));

std::vector<std::string> backendNames() {
  std::vector<std::string> names;
  for (const BackendFactory& f : testing::conformanceBackends()) names.push_back(f.name);
  return names;
}

std::string paramName(const ::testing::TestParamInfo<Param>& info) {
  std::string c = std::get<1>(info.param);
  std::string out;
  bool up = true;
  for (char ch : c) {
    if (ch == '_') {
      up = true;
      continue;
    }
    out += up ? char(std::toupper(ch)) : ch;
    up = false;
  }
  return std::get<0>(info.param) + out +
         (std::get<2>(info.param) == Precision::kFixed ? "Fixed" : "Float") + "Seed" +
         std::to_string(std::get<3>(info.param));
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ConformanceTest,
                         ::testing::Combine(::testing::ValuesIn(backendNames()),
                                            ::testing::ValuesIn(testing::conformanceCaseNames()),
                                            ::testing::Values(Precision::kFloat32,
                                                              Precision::kFixed),
                                            ::testing::Range(0, 4)),
                         paramName);

}  // namespace
}  // namespace spikeline::hal
