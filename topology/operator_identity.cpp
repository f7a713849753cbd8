#include "topology/operator_identity.h"

#include <bit>
#include <variant>

namespace spikeline::topology {
namespace {

// Little-endian writers into a byte string.
void putU8(std::string& out, uint8_t v) { out.push_back(char(v)); }
void putU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(char(v >> (8 * i)));
}
void putU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(char(v >> (8 * i)));
}
void putString(std::string& out, std::string_view s) {
  putU32(out, uint32_t(s.size()));
  out.append(s);
}

// Type tags of parameter values; fixed for encoding version 1.
enum ParamTag : uint8_t {
  kTagInt = 1,
  kTagDouble = 2,
  kTagBool = 3,
  kTagString = 4,
  kTagIntList = 5,
  kTagDoubleList = 6
};

void putParam(std::string& out, const ParamValue& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) {
    putU8(out, kTagInt);
    putU64(out, uint64_t(*i));
  } else if (const auto* d = std::get_if<double>(&value)) {
    putU8(out, kTagDouble);
    putU64(out, std::bit_cast<uint64_t>(*d));
  } else if (const auto* b = std::get_if<bool>(&value)) {
    putU8(out, kTagBool);
    putU8(out, *b ? 1 : 0);
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    putU8(out, kTagString);
    putString(out, *s);
  } else if (const auto* il = std::get_if<std::vector<int64_t>>(&value)) {
    putU8(out, kTagIntList);
    putU32(out, uint32_t(il->size()));
    for (int64_t v : *il) putU64(out, uint64_t(v));
  } else if (const auto* dl = std::get_if<std::vector<double>>(&value)) {
    putU8(out, kTagDoubleList);
    putU32(out, uint32_t(dl->size()));
    for (double v : *dl) putU64(out, std::bit_cast<uint64_t>(v));
  }
}

}  // namespace

Sha256Digest weightsDigest(const OperatorSpec& spec) {
  Sha256 h;
  std::string head;
  putU32(head, uint32_t(spec.weights.size()));
  h.update(head);
  for (const auto& [role, tensor] : spec.weights) {  // std::map: sorted by role
    head.clear();
    putString(head, role);
    putU32(head, uint32_t(tensor.shape.rank()));
    for (uint32_t d : tensor.shape.dims()) putU32(head, d);
    putU64(head, uint64_t(tensor.values.size()));
    h.update(head);
    std::string values;
    values.reserve(tensor.values.size() * 4);
    for (float v : tensor.values) putU32(values, std::bit_cast<uint32_t>(v));
    h.update(values);
  }
  return h.finish();
}

std::string canonicalOperatorBytes(const OperatorSpec& spec) {
  std::string out = "spikeline.operator-id";
  putU8(out, kOperatorIdEncodingVersion);
  putString(out, spec.kind);
  putU8(out, uint8_t(spec.precision));
  // frac_bits changes fixed-point results only; float32 operators ignore it.
  putU32(out, spec.precision == Precision::kFixed ? spec.frac_bits : 0);
  putU32(out, uint32_t(spec.params.all().size()));
  for (const auto& [name, value] : spec.params.all()) {  // std::map: sorted by name
    putString(out, name);
    putParam(out, value);
  }
  const Sha256Digest digest = weightsDigest(spec);
  out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return out;
}

OperatorId computeOperatorId(const OperatorSpec& spec) {
  const Sha256Digest digest = sha256(canonicalOperatorBytes(spec));
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | digest[i];
  return OperatorId{v};
}

}  // namespace spikeline::topology
