// Private to wire/: zero-copy views of Cap'n Proto primitive lists and Text, and the shared
// checks of tensor limits. May throw kj::Exception (capnp); wire/codec.cpp catches.
// Thread safety: pure functions; a view borrows the message it came from.
#pragma once

#include <bit>
#include <cassert>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <capnp/any.h>
#include <capnp/list.h>

#include "core/shape.h"
#include "core/status.h"

namespace spikeline::wire::detail {

static_assert(std::endian::native == std::endian::little,
              "wire/ views capnp lists in place; a big-endian host needs element-wise copies");

// The elements of a primitive list as a span into the message when they are stored packed
// (always, for lists our encoder writes); otherwise (a struct list standing in for a primitive
// list, which capnp allows) copies them element-wise into `scratch`.
template <typename T>
std::span<const T> listView(typename capnp::List<T>::Reader list, std::vector<T>& scratch) {
  const kj::ArrayPtr<const kj::byte> raw = capnp::AnyList::Reader(list).getRawBytes();
  if (raw.size() == size_t(list.size()) * sizeof(T)) {
    return {reinterpret_cast<const T*>(raw.begin()), list.size()};
  }
  scratch.clear();
  scratch.reserve(list.size());
  for (T v : list) scratch.push_back(v);
  return scratch;
}

// The storage of a primitive list just initialised in a message being built, for bulk writes.
// capnp 0.9 exposes a list's raw bytes only through the const AnyList view; they are the
// writable segment of our own message, and a fresh primitive list is always packed.
template <typename T>
std::span<T> listStorage(typename capnp::List<T>::Builder list) {
  const kj::ArrayPtr<const kj::byte> raw = capnp::AnyList::Reader(list.asReader()).getRawBytes();
  assert(raw.size() == size_t(list.size()) * sizeof(T));
  return {reinterpret_cast<T*>(const_cast<kj::byte*>(raw.begin())), list.size()};
}

inline std::string toStdString(capnp::Text::Reader text) {
  return std::string(text.cStr(), text.size());
}

// 1 <= T <= kMaxTimesteps, rank <= kMaxRank, 1 <= N <= kMaxNeurons, T*N <= kMaxNeuronSteps.
Status checkTensorLimits(const Shape& shape, uint32_t timesteps);

}  // namespace spikeline::wire::detail
