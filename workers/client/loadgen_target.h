// ClientTarget: the loadgen's Target (loadgen/target.h) over a real pipeline through a Client,
// so spikeline-loadgen can drive workers. Borrows the client (must outlive the target); the
// input of request i comes from a caller-supplied function. Thread safety: submit() as
// loadgen::Target says (one driver thread); completions arrive on the client's I/O thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "core/ids.h"
#include "core/tensor.h"
#include "loadgen/target.h"
#include "workers/client/client.h"

namespace spikeline::client {

struct ClientTargetOptions {
  ModelRef model;
  int64_t timeout_ms = 2000;  // per-request deadline from its submission. Default: 2 s
};

// The class predicted by an output tensor: argmax of a dense tensor's values (summed over T),
// or of spike counts; -1 for an empty tensor. Ties: the lowest index.
int32_t predictedClass(const Tensor& output);

std::unique_ptr<loadgen::Target> makeClientTarget(Client& client, const Clock& clock,
                                                  std::function<Tensor(uint64_t)> input_for,
                                                  ClientTargetOptions options);

}  // namespace spikeline::client
