// Helpers for HAL tests: build OperatorSpecs tersely, make tensors from literals, and compile+run
// one operator on a backend. Header-only; for tests only. Thread safety: none needed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/operator_spec.h"
#include "core/result.h"
#include "core/tensor.h"
#include "hal/backend.h"

namespace spikeline::hal::testing {

inline OperatorSpec makeSpec(std::string kind, Shape input_shape,
                             Precision precision = Precision::kFloat32) {
  OperatorSpec s;
  s.name = kind + "0";
  s.kind = std::move(kind);
  s.input_shape = std::move(input_shape);
  s.precision = precision;
  return s;
}

inline void setWeight(OperatorSpec& spec, const std::string& name, Shape shape,
                      std::vector<float> values) {
  spec.weights[name] = WeightTensor{std::move(shape), std::move(values)};
}

inline Tensor floats(Shape shape, uint32_t steps, std::vector<float> v) {
  return DenseTensor(std::move(shape), steps, std::move(v));
}
inline Tensor ints(Shape shape, uint32_t steps, std::vector<int32_t> v) {
  return DenseTensor(std::move(shape), steps, std::move(v));
}
// rows[t] is a string of '0'/'1', one char per neuron.
inline Tensor spikes(Shape shape, const std::vector<std::string>& rows) {
  SpikeTensor s(std::move(shape), uint32_t(rows.size()));
  for (uint32_t t = 0; t < rows.size(); ++t) {
    for (uint32_t i = 0; i < rows[t].size(); ++i) s.set(t, i, rows[t][i] == '1');
  }
  return s;
}
inline std::vector<std::string> spikeRows(const Tensor& x) {
  const auto& s = std::get<SpikeTensor>(x);
  std::vector<std::string> rows;
  for (uint32_t t = 0; t < s.timesteps(); ++t) {
    std::string r;
    for (uint32_t i = 0; i < s.numNeurons(); ++i) r += s.get(t, i) ? '1' : '0';
    rows.push_back(r);
  }
  return rows;
}
inline std::vector<float> floatValues(const Tensor& x) {
  auto v = std::get<DenseTensor>(x).floats();
  return {v.begin(), v.end()};
}
inline std::vector<int32_t> intValues(const Tensor& x) {
  auto v = std::get<DenseTensor>(x).ints();
  return {v.begin(), v.end()};
}

// Compiles `spec` on `backend` and runs it on `inputs`.
inline Result<Tensor> runOnce(Backend& backend, const OperatorSpec& spec,
                              const std::vector<Tensor>& inputs, RunContext ctx = {}) {
  SPIKELINE_ASSIGN_OR_RETURN(std::unique_ptr<CompiledOperator> op, backend.compile(spec));
  std::vector<const Tensor*> ptrs;
  for (const Tensor& t : inputs) ptrs.push_back(&t);
  return backend.run(*op, ptrs, ctx);
}

}  // namespace spikeline::hal::testing
