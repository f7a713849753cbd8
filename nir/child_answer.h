// The answer the NIR reader's child process sends back over its pipe (internal to nir/): a Status,
// or a NirFile, as bytes ([u64 status code][message] or [0][version][graph]). decodeAnswer checks
// every length against what is left, so a short or garbled answer is an error. Pure.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "nir/nir_graph.h"

namespace spikeline::nir {

std::string encodeAnswer(const Result<NirFile>& r);
Result<NirFile> decodeAnswer(std::string_view bytes);

}  // namespace spikeline::nir
