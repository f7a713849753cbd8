// Internal to core/: the building blocks of the operator catalog's per-kind checks, shared by
// operator_catalog.cpp (dispatch, neurons, encoders, readout) and operator_catalog_layers.cpp
// (conv, linear, pooling, attention, graph) and operator_catalog_nir.cpp (the NIR kinds). Not part
// of core's public API. Thread safety: stateless.
#pragma once

#include <array>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "core/operator_catalog.h"

namespace spikeline::catalog_detail {

using Ints2 = std::array<int64_t, 2>;

// Everything a per-kind checker needs.
struct Ctx {
  const OperatorSpec& spec;
  std::span<const Shape> shapes;
  std::span<const ValueKind> kinds;
};

// kInvalidArgument "<field>: <problem>".
Status fieldError(std::string_view field, const std::string& problem);
// Rejects parameters and weights the kind does not know (typos), and weights whose value count
// disagrees with their shape.
Status checkKnownNames(const Ctx& c, std::initializer_list<std::string_view> params,
                       std::initializer_list<std::string_view> weights);
Status requirePositive(std::string_view name, double v);
// An int or [h, w] parameter, each >= min.
Status pairParam(const Params& p, std::string_view name, Ints2 fallback, int64_t min, Ints2& out);
Status requireInputKind(const Ctx& c, size_t i, ValueKind want);
Status requireRank(const Ctx& c, size_t i, size_t rank, std::string_view layout);
// Checks a weight's shape; `required` false allows it to be absent. Sets `present`.
Status weightShape(const Ctx& c, std::string_view name, const Shape& want, bool required,
                   bool* present = nullptr);
Result<OperatorSignature> sameAsInput(const Ctx& c, ValueKind kind);

// A Params lookup whose error is prefixed with "params.<name>".
template <typename T>
Status param(Result<T> r, std::string_view name, T& out) {
  if (!r.isOk()) return fieldError("params." + std::string(name), r.status().message());
  out = *r;
  return Status::ok();
}

Result<OperatorSignature> checkConv2d(const Ctx& c);
Result<OperatorSignature> checkLinear(const Ctx& c);
Result<OperatorSignature> checkPool(const Ctx& c);
Result<OperatorSignature> checkAttention(const Ctx& c);
Result<OperatorSignature> checkGraph(const Ctx& c);
// operator_catalog_nir.cpp: the kinds NIR primitives map onto.
Result<OperatorSignature> checkNirNeuron(const Ctx& c);  // li, integrator, cuba_li, cuba_lif
Result<OperatorSignature> checkThreshold(const Ctx& c);
Result<OperatorSignature> checkDelay(const Ctx& c);
Result<OperatorSignature> checkScale(const Ctx& c);
Result<OperatorSignature> checkConv1d(const Ctx& c);

}  // namespace spikeline::catalog_detail
