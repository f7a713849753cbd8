#include "core/operator_spec.h"

namespace spikeline {

std::string_view precisionName(Precision p) { return p == Precision::kFixed ? "fixed" : "float32"; }

Result<Precision> parsePrecision(std::string_view name) {
  if (name == "float32") return Precision::kFloat32;
  if (name == "fixed") return Precision::kFixed;
  return invalidArgument("unknown precision '" + std::string(name) +
                         "' (expected float32 or fixed)");
}

std::string_view backendKindName(BackendKind k) {
  switch (k) {
    case BackendKind::kCpu:
      return "cpu";
    case BackendKind::kCuda:
      return "cuda";
    case BackendKind::kChip:
      return "chip";
  }
  return "unknown";
}

Result<BackendKind> parseBackendKind(std::string_view name) {
  if (name == "cpu") return BackendKind::kCpu;
  if (name == "cuda") return BackendKind::kCuda;
  if (name == "chip") return BackendKind::kChip;
  return invalidArgument("unknown backend '" + std::string(name) +
                         "' (expected cpu, cuda or chip)");
}

namespace {

template <typename T>
Result<T> getTyped(const std::map<std::string, ParamValue, std::less<>>& values,
                   std::string_view name, const char* type_name) {
  auto it = values.find(name);
  if (it == values.end()) return notFound("missing parameter '" + std::string(name) + "'");
  if (const T* v = std::get_if<T>(&it->second)) return *v;
  return invalidArgument("parameter '" + std::string(name) + "' must be " + type_name);
}

}  // namespace

Result<int64_t> Params::getInt(std::string_view name) const {
  return getTyped<int64_t>(values_, name, "an integer");
}

Result<double> Params::getDouble(std::string_view name) const {
  auto it = values_.find(name);
  if (it != values_.end()) {
    if (const int64_t* i = std::get_if<int64_t>(&it->second)) return static_cast<double>(*i);
  }
  return getTyped<double>(values_, name, "a number");
}

Result<bool> Params::getBool(std::string_view name) const {
  return getTyped<bool>(values_, name, "a boolean");
}

Result<std::string> Params::getString(std::string_view name) const {
  return getTyped<std::string>(values_, name, "a string");
}

Result<std::vector<int64_t>> Params::getIntList(std::string_view name) const {
  return getTyped<std::vector<int64_t>>(values_, name, "a list of integers");
}

Result<int64_t> Params::getIntOr(std::string_view name, int64_t fallback) const {
  return has(name) ? getInt(name) : Result<int64_t>(fallback);
}
Result<double> Params::getDoubleOr(std::string_view name, double fallback) const {
  return has(name) ? getDouble(name) : Result<double>(fallback);
}
Result<bool> Params::getBoolOr(std::string_view name, bool fallback) const {
  return has(name) ? getBool(name) : Result<bool>(fallback);
}
Result<std::string> Params::getStringOr(std::string_view name, std::string fallback) const {
  return has(name) ? getString(name) : Result<std::string>(std::move(fallback));
}

}  // namespace spikeline
